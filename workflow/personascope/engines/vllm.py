"""`vllm`: open-weight models on GPUs as offline batches: `vllm.LLM(...).chat(conversations)`.

NOT YET RUN ON A GPU. vLLM cannot be installed where this was written (CUDA-only wheels, no GPU):
this adapter follows vLLM's documented offline API (LLM(...), LLM.chat, SamplingParams,
RequestOutput.prompt_token_ids / .outputs[0].text / .token_ids / .finish_reason) and is tested
against a stand-in module that mirrors those signatures and records the calls
(tests/fakes/vllm_standin). Expect to adjust it on the first real GPU run.

The model is loaded once per job (per distinct load settings, even if two registry names share
them) and each batch is one `chat()` call over all its conversations, with prefix caching on so
that a round's shared system prompts and histories are computed once. Registry options:
  tensor_parallel_size (default 1), max_model_len, dtype (default "auto"), seed (default 0),
  gpu_memory_utilization, trust_remote_code, quantization, download_dir,
  enable_prefix_caching (default true),
  chunk_size  conversations per chat() call (default 512): finished chunks reach the call cache
              before the next starts, so a killed job loses at most one chunk.
  structured_outputs  how constrained requests (judge verdicts) are sent: "regex" (default),
              "grammar" or "json_schema" as `SamplingParams(structured_outputs=
              StructuredOutputsParams(regex=|grammar=|json=))` — the current API; the removed
              `guided_decoding`/`GuidedDecodingParams` are never used — or "none".
The registry entry's `revision` is passed as the HF revision (and tokenizer revision).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatRequest, ChatResponse, Constraint, Engine, ModelSpec
from .local import derived_seed

LOAD_OPTIONS = (
    "tensor_parallel_size",
    "max_model_len",
    "dtype",
    "seed",
    "gpu_memory_utilization",
    "trust_remote_code",
    "quantization",
    "download_dir",
    "enable_prefix_caching",
)

# registry options.structured_outputs -> the constraint form reported with each answer
STRUCTURED_FORMS = {
    "regex": "regex",
    "grammar": "grammar",
    "json_schema": "json_schema",
    "none": None,
}

# One load per job: loaded models by their load settings.
_LOADED: dict[str, Any] = {}


def load_kwargs(spec: ModelSpec) -> dict[str, Any]:
    opts = spec.options
    kwargs: dict[str, Any] = {
        "model": opts.get("path", spec.model),
        "tensor_parallel_size": 1,
        "dtype": "auto",
        "seed": 0,
        "enable_prefix_caching": True,
    }
    kwargs.update({k: opts[k] for k in LOAD_OPTIONS if k in opts})
    if spec.revision:
        kwargs["revision"] = spec.revision
        kwargs["tokenizer_revision"] = spec.revision
    return kwargs


class VLLMEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        import vllm  # imported here: only GPU jobs have vLLM installed

        self.vllm = vllm
        kwargs = load_kwargs(spec)
        signature = repr(sorted(kwargs.items()))
        if signature not in _LOADED:
            _LOADED[signature] = vllm.LLM(**kwargs)
        self.llm = _LOADED[signature]
        self.chunk_size = int(spec.options.get("chunk_size", 512))
        form = spec.options.get("structured_outputs", "regex")
        if form not in STRUCTURED_FORMS:
            raise ConfigError(
                f"model {spec.name} (vllm): options.structured_outputs {form!r} is not one of "
                f"{sorted(STRUCTURED_FORMS)}"
            )
        self.constraint_form = STRUCTURED_FORMS[form]

    def structured_outputs(self, constraint: Constraint | None) -> Any:
        if constraint is None or self.constraint_form is None:
            return None
        params = self.vllm.sampling_params.StructuredOutputsParams
        if self.constraint_form == "regex":
            return params(regex=constraint.regex)
        if self.constraint_form == "grammar":
            return params(grammar=constraint.grammar)
        return params(json=constraint.schema())

    def sampling_params(self, request: ChatRequest) -> Any:
        sampling = request.sampling
        return self.vllm.SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            # Per request, so a conversation's output does not depend on its batch neighbours.
            seed=sampling.seed if sampling.seed is not None else derived_seed(request),
            stop=list(sampling.stop) or None,
            structured_outputs=self.structured_outputs(request.constraint),
        )

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        for start in range(0, len(requests), self.chunk_size):
            chunk = requests[start : start + self.chunk_size]
            began = time.perf_counter()
            outputs = self.llm.chat(
                [list(r.messages) for r in chunk],
                sampling_params=[self.sampling_params(r) for r in chunk],
                use_tqdm=False,
            )
            if len(outputs) != len(chunk):
                raise EngineError(
                    f"model {self.spec.name} (vllm): chat() returned {len(outputs)} outputs "
                    f"for {len(chunk)} conversations"
                )
            # Offline batches have no per-call latency: each call gets its share of the chunk.
            share = (time.perf_counter() - began) / len(chunk)
            for offset, out in enumerate(outputs):
                completion = out.outputs[0]
                yield (
                    start + offset,
                    ChatResponse(
                        text=completion.text,
                        finish_reason=completion.finish_reason or "stop",
                        prompt_tokens=len(out.prompt_token_ids or ()),
                        completion_tokens=len(completion.token_ids or ()),
                        engine="vllm",
                        model=self.spec.model,
                        revision=self.spec.revision,
                        latency_s=share,
                        constrained=self.constraint_form if chunk[offset].constraint else None,
                    ),
                )

    def close(self) -> None:
        # Other registry names of this job may share the loaded model; process exit frees it.
        pass
