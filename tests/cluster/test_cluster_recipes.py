"""The Apptainer recipes in containers/ parse (spython), convert to a Dockerfile, pin their bases
by digest, copy files that exist, and install envs/ files whose pins satisfy pyproject.toml.
(Building them needs Apptainer and the network: see docs/cluster.md.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from cluster_support import REPO, root_conftest
from packaging.requirements import Requirement
from spython.main.parse.parsers import SingularityParser
from spython.main.parse.writers import DockerWriter

RECIPES = {
    "cpu": (REPO / "containers" / "personascope-cpu.def", REPO / "envs" / "cpu.txt"),
    "vllm": (REPO / "containers" / "personascope-vllm.def", REPO / "envs" / "gpu.txt"),
}
# What envs/gpu.txt leaves out: the vLLM base's own dependencies (pinning them could replace
# what its CUDA build was made with) and IFBench, which runs in the CPU image only.
VLLM_IMAGE_LEAVES = {"numpy", "pyyaml", "jsonschema", "openai", "httpx", "nvidia-ifbench"}
DIGEST = re.compile(r"^[\w./-]+@sha256:[0-9a-f]{64}$")


def parse(recipe: Path):
    (stage,) = SingularityParser(str(recipe)).recipe.values()
    return stage


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_parses_and_pins_its_base(name: str) -> None:
    recipe, env_file = RECIPES[name]
    stage = parse(recipe)
    assert DIGEST.match(stage.fromHeader), stage.fromHeader
    dockerfile = DockerWriter(SingularityParser(str(recipe)).recipe).convert()
    assert dockerfile.startswith(f"FROM {stage.fromHeader}")
    # Every %files source exists (relative to the repository root, where the build runs), and
    # the envs/ file the %post installs is among them.
    sources = [line.split()[0] for line in stage.files]
    for source in sources:
        assert (REPO / source).exists(), f"{recipe.name}: %files source {source} is missing"
    env_rel = str(env_file.relative_to(REPO))
    assert env_rel in sources
    install = "\n".join(stage.install)
    assert f"/opt/personascope/{env_rel}" in install
    assert "--no-deps /opt/personascope" in install  # the package itself, pins from envs/


def test_vllm_recipe_keeps_the_base_vllm_and_torch() -> None:
    install = "\n".join(parse(RECIPES["vllm"][0]).install)
    assert '"vllm==${VLLM_VERSION}"' in install and '"torch==${TORCH_VERSION}"' in install
    assert "vllm" not in RECIPES["vllm"][1].read_text(encoding="utf-8").split("#")[0].lower()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_env_pins_satisfy_the_package_requirements(name: str) -> None:
    pins: dict[str, str] = {}
    for line in RECIPES[name][1].read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: envs files pin exact versions"
            pins[canonical(req.name)] = spec.version
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # The images run every engine, so the API extra is part of what they must install.
    for dep in [*project["dependencies"], *project["optional-dependencies"].get("api", [])]:
        req = Requirement(dep)
        key = canonical(req.name)
        if key == "snakemake":
            continue  # runs on the host, outside the images
        if key not in pins:
            assert name == "vllm" and key in VLLM_IMAGE_LEAVES, (
                f"envs/{RECIPES[name][1].name} does not pin {req.name}"
            )
            continue
        assert req.specifier.contains(pins[key]), f"{req.name}=={pins[key]} violates {dep}"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_root_conftest_is_the_repository_one() -> None:
    assert Path(root_conftest.__file__) == REPO / "tests" / "conftest.py"
