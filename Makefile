# Two commands do all set-up on a fresh machine (Debian/Ubuntu, Python 3.11, root or sudo-less apt):
#   make run    the embedded default: `snakemake --cores 2` on config/config.yaml (local CPU model)
#   make test   the test suite (starts a real single-node SLURM for the cluster tests)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
EXTRAS ?= test,cluster

.PHONY: setup system-deps run test lint bench vllm-api clean-results

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

# The vLLM API check against the pinned release's real wheel (downloaded, never installed: it
# needs CUDA); without it the tests check against the committed snapshot resources/vllm/.
vllm-api: setup
	rm -rf .vllm-wheel && $(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: \
		"vllm==$$(cat containers/vllm-version.txt)" -d .vllm-wheel
	$(BIN)/python -m personascope.engines.vllm_api $$(ls .vllm-wheel/vllm-*.whl) \
		--check resources/vllm/api-$$(cat containers/vllm-version.txt).json

clean-results:
	rm -rf results .snakemake
