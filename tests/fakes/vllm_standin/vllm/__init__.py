"""A STAND-IN for the `vllm` package (which needs CUDA), for testing personascope's adapter.

It mirrors the documented offline API the adapter uses — `LLM(model, **engine_args)`,
`LLM.chat(messages, sampling_params, use_tqdm, ...)`, `SamplingParams(...)`, and
`RequestOutput.prompt_token_ids / .outputs[i].text / .token_ids / .finish_reason` — rejects
unknown arguments the way the real signatures do, and records every call in `CALLS`.
Its "model" answers deterministically from the conversation; it generates nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from . import sampling_params as sampling_params
from .sampling_params import StructuredOutputsParams

CALLS: list[tuple[str, Any]] = []
# A test may set ANSWER(conversation, params) -> text; by default the stand-in ignores any
# structured-outputs constraint (as a vLLM that dropped the field would), so tests can check
# that an ignored constraint is caught.
ANSWER: Any = None

# Engine arguments LLM(...) forwards to EngineArgs (a subset of vLLM's, enough to catch typos).
ENGINE_ARGS = {
    "max_model_len",
    "enable_prefix_caching",
    "download_dir",
    "max_num_seqs",
    "max_num_batched_tokens",
    "enable_chunked_prefill",
    "kv_cache_dtype",
    "pipeline_parallel_size",
}


class SamplingParams:
    def __init__(
        self,
        n: int = 1,
        presence_penalty: float = 0.0,
        frequency_penalty: float = 0.0,
        repetition_penalty: float = 1.0,
        temperature: float = 1.0,
        top_p: float = 1.0,
        top_k: int = 0,
        min_p: float = 0.0,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        stop_token_ids: list[int] | None = None,
        ignore_eos: bool = False,
        max_tokens: int | None = 16,
        min_tokens: int = 0,
        logprobs: int | None = None,
        structured_outputs: StructuredOutputsParams | None = None,
    ) -> None:
        if temperature < 0:
            raise ValueError("temperature must be non-negative")
        if not 0 < top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.n = n
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.stop = [stop] if isinstance(stop, str) else list(stop or [])
        self.max_tokens = max_tokens
        self.structured_outputs = structured_outputs


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None
    logprobs: Any
    finish_reason: str | None = None
    stop_reason: int | str | None = None


@dataclass
class RequestOutput:
    request_id: str
    prompt: str | None
    prompt_token_ids: list[int] | None
    prompt_logprobs: Any
    outputs: list[CompletionOutput] = field(default_factory=list)
    finished: bool = True


class LLM:
    def __init__(
        self,
        model: str,
        *,
        tokenizer: str | None = None,
        tokenizer_mode: str = "auto",
        skip_tokenizer_init: bool = False,
        trust_remote_code: bool = False,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        quantization: str | None = None,
        revision: str | None = None,
        tokenizer_revision: str | None = None,
        seed: int | None = None,
        gpu_memory_utilization: float = 0.9,
        swap_space: float = 4,
        enforce_eager: bool = False,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - ENGINE_ARGS
        if unknown:
            raise TypeError(f"EngineArgs.__init__() got unexpected keyword arguments {unknown}")
        self.model = model
        CALLS.append(
            (
                "LLM",
                {
                    "model": model,
                    "tensor_parallel_size": tensor_parallel_size,
                    "dtype": dtype,
                    "revision": revision,
                    "tokenizer_revision": tokenizer_revision,
                    "seed": seed,
                    "trust_remote_code": trust_remote_code,
                    "quantization": quantization,
                    "gpu_memory_utilization": gpu_memory_utilization,
                    **kwargs,
                },
            )
        )

    def chat(
        self,
        messages: list[dict[str, Any]] | list[list[dict[str, Any]]],
        sampling_params: SamplingParams | list[SamplingParams] | None = None,
        use_tqdm: bool = True,
        lora_request: Any = None,
        chat_template: str | None = None,
        chat_template_content_format: str = "auto",
        add_generation_prompt: bool = True,
        continue_final_message: bool = False,
        tools: list[dict[str, Any]] | None = None,
        mm_processor_kwargs: dict[str, Any] | None = None,
    ) -> list[RequestOutput]:
        conversations = messages if messages and isinstance(messages[0], list) else [messages]
        for conversation in conversations:
            for message in conversation:
                if set(message) - {"role", "content"} or message["role"] not in (
                    "system",
                    "user",
                    "assistant",
                ):
                    raise ValueError(f"not a chat message: {message!r}")
        if sampling_params is None:
            params = [SamplingParams()] * len(conversations)
        elif isinstance(sampling_params, list):
            if len(sampling_params) != len(conversations):
                raise ValueError("The lengths of prompts and sampling_params must be the same.")
            params = sampling_params
        else:
            params = [sampling_params] * len(conversations)
        CALLS.append(("chat", {"conversations": conversations, "params": params}))
        return [
            self._answer(i, c, p)
            for i, (c, p) in enumerate(zip(conversations, params, strict=True))
        ]

    def _answer(
        self, index: int, conversation: list[dict[str, Any]], params: SamplingParams
    ) -> RequestOutput:
        prompt = " ".join(f"<{m['role']}> {m['content']}" for m in conversation)
        digest = hashlib.sha256(f"{prompt}|{params.seed}".encode()).hexdigest()[:8]
        words = f"standin {digest} says: {conversation[-1]['content']}".split()
        limit = params.max_tokens or len(words)
        finish = "length" if len(words) > limit else "stop"
        words = words[:limit]
        if ANSWER is not None:
            words = ANSWER(conversation, params).split(" ")
        return RequestOutput(
            request_id=str(index),
            prompt=prompt,
            prompt_token_ids=list(range(len(prompt.split()))),
            prompt_logprobs=None,
            outputs=[
                CompletionOutput(
                    index=0,
                    text=" ".join(words),
                    token_ids=list(range(len(words))),
                    cumulative_logprob=None,
                    logprobs=None,
                    finish_reason=finish,
                )
            ],
        )
