# Two commands do all set-up on a fresh machine (Debian/Ubuntu, Python 3.11, root or sudo-less apt):
#   make run    the embedded default: `snakemake --cores 2` on config/config.yaml (local CPU model)
#   make test   the test suite (starts a real single-node SLURM for the cluster tests)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
EXTRAS ?= test,cluster

.PHONY: setup system-deps run test lint bench clean-results

# llama-cpp-python compiles from source here (about 5 minutes on 2 cores); pip caches the wheel.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

setup: $(VENV)/.installed

# Debian packages the cluster tests need (a real SLURM: slurm-wlm + munge).
system-deps:
	bash tests/cluster/slurm_cluster.sh install

run: setup
	$(BIN)/snakemake --cores 2

test: setup system-deps
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check workflow tests benchmarks
	$(BIN)/ruff format --check workflow tests benchmarks
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/python benchmarks/run.py

clean-results:
	rm -rf results .snakemake
