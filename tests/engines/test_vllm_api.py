"""The vLLM API check without a GPU: every parameter our `vllm` engine passes, and every one its
stand-in accepts, exists in the pinned vLLM release (containers/vllm-version.txt). The release's
signatures are a snapshot made from its real wheel (resources/vllm/api-<version>.json, by
`python -m personascope.engines.vllm_api WHEEL`); `make vllm-api` downloads the wheel and checks
the snapshot against it (`... WHEEL --check SNAPSHOT`), where PyPI is reachable."""

# ruff: noqa: F811  (pytest fixtures imported from engine_support are used as arguments)

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import entry, vllm_standin  # noqa: F401  (fixture)
from personascope.engines import ChatRequest, Sampling, open_engine
from personascope.persistence.rubrics import LIKERT

ROOT = Path(__file__).resolve().parents[2]
VERSION = (ROOT / "containers" / "vllm-version.txt").read_text().strip()
SNAPSHOT = json.loads((ROOT / "resources" / "vllm" / f"api-{VERSION}.json").read_text())


def test_the_snapshot_is_of_the_pinned_release() -> None:
    assert SNAPSHOT["vllm_version"] == VERSION
    assert VERSION in (ROOT / "containers" / "personascope-vllm.def").read_text()


def recording(cls: type, seen: set[str]) -> type:
    original = cls.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        assert not args, f"{cls.__name__} takes keywords only from our engine"
        seen.update(kwargs)
        original(self, **kwargs)

    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def test_every_parameter_the_engine_passes_exists_in_the_release(
    vllm_standin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: dict[str, set[str]] = {"sampling": set(), "structured": set()}
    recording(vllm_standin.SamplingParams, used["sampling"])
    recording(vllm_standin.sampling_params.StructuredOutputsParams, used["structured"])

    def answer(conversation: Any, params: Any) -> str:
        if params.structured_outputs is not None and params.structured_outputs.json:
            return json.dumps({"reasoning": "x", "verdict": 3})
        return "**Reasoning:** x\n\n**Result:** 3"

    vllm_standin.ANSWER = answer
    options = {
        "tensor_parallel_size": 2,
        "max_model_len": 4096,
        "dtype": "bfloat16",
        "seed": 1,
        "gpu_memory_utilization": 0.8,
        "trust_remote_code": False,
        "quantization": "fp8",
        "download_dir": "/w",
        "enable_prefix_caching": True,
    }
    for form in ("regex", "grammar", "json_schema"):
        e = entry("vllm", model=f"org/M-{form}", structured_outputs=form, **options)
        e["revision"] = "abc"
        engine = open_engine(form, e, tmp_path / form)
        messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
        sampling = Sampling(temperature=0.5, top_p=0.9, max_tokens=64, stop=("</s>",), seed=3)
        engine.generate([ChatRequest.of(messages, sampling)])
        (out,) = engine.generate(
            [ChatRequest.of(messages, sampling, LIKERT.constraint("answer", 64))]
        )
        assert out.constrained == form
    load = {k for kind, kwargs in vllm_standin.CALLS if kind == "LLM" for k in kwargs}
    real_load = set(SNAPSHOT["LLM.__init__"]["params"]) | set(SNAPSHOT["EngineArgs"])
    assert load - real_load == set()
    assert {"sampling_params", "use_tqdm"} <= set(SNAPSHOT["LLM.chat"]["params"])
    assert used["sampling"] and used["sampling"] - set(SNAPSHOT["SamplingParams"]) == set()
    assert used["structured"] == {"regex", "grammar", "json"}
    assert used["structured"] <= set(SNAPSHOT["StructuredOutputsParams"])


def test_the_stand_in_accepts_nothing_the_release_lacks(vllm_standin: Any) -> None:
    def named(fn: Any) -> set[str]:
        return {
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
        }

    real_load = set(SNAPSHOT["LLM.__init__"]["params"]) | set(SNAPSHOT["EngineArgs"])
    assert named(vllm_standin.LLM.__init__) - real_load == set()
    assert vllm_standin.ENGINE_ARGS - set(SNAPSHOT["EngineArgs"]) == set()
    assert named(vllm_standin.LLM.chat) - set(SNAPSHOT["LLM.chat"]["params"]) == set()
    assert named(vllm_standin.SamplingParams.__init__) - set(SNAPSHOT["SamplingParams"]) == set()
    structured = named(vllm_standin.sampling_params.StructuredOutputsParams)
    assert structured - set(SNAPSHOT["StructuredOutputsParams"]) == set()


def test_the_removed_guided_decoding_api_is_neither_in_the_release_nor_in_our_engine() -> None:
    assert SNAPSHOT["GuidedDecodingParams_present"] is False
    source = (ROOT / "workflow" / "personascope" / "engines" / "vllm.py").read_text()
    code = [line for line in source.splitlines() if not line.lstrip().startswith(("#", "`"))]
    assert "GuidedDecodingParams(" not in "\n".join(code) and "guided_decoding=" not in source
