"""`openai`: any OpenAI-compatible chat-completions server (llama.cpp, vLLM serve, Gemini, ...).

Registry options:
  base_url         the server's /v1 URL (required), e.g. http://127.0.0.1:8080/v1
  api_key_env      name of the environment variable holding the key; omitted for servers
                   without authentication (the key itself is never read from config)
  concurrency      calls in flight at once (default 4)
  requests_per_minute, tokens_per_minute   client-side limits (default: none)
  max_retries      SDK retries of 408/409/429/5xx and timeouts per call (default 5)
  timeout_s        per-attempt timeout (default 600: CPU servers are slow on long prompts)
  send_seed        send a per-request seed (default true; some providers reject `seed`)
  extra_body       extra JSON fields for every request (e.g. provider-specific settings)
  structured_outputs   how constrained requests (judge verdicts) are sent, by what the server
                   supports: "none" (default: answered as free text), "json_schema"
                   (`response_format` JSON schema: OpenAI, Gemini), "vllm" (`vllm serve`:
                   extra_body {"structured_outputs": {"regex": ...}}; the old guided_* fields are
                   silently ignored by current vLLM), "grammar" (`python -m llama_cpp.server`:
                   extra_body {"grammar": GBNF})
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatRequest, ChatResponse, Constraint, Engine, ModelSpec
from .keys import key_from_env
from .local import derived_seed
from .pool import run_bounded
from .ratelimit import RateLimiter

# registry options.structured_outputs -> the constraint form reported with each answer
STRUCTURED_FORMS = {
    "none": None,
    "json_schema": "json_schema",
    "vllm": "regex",
    "grammar": "grammar",
}


def structured_form(spec: ModelSpec, forms: dict[str, str | None], default: str) -> str | None:
    name = spec.options.get("structured_outputs", default)
    if name not in forms:
        raise ConfigError(
            f"model {spec.name} (engine {spec.engine}): options.structured_outputs {name!r} is "
            f"not one of {sorted(forms)}"
        )
    return forms[name]


class MalformedResponse(EngineError):
    """A 200 answer that does not hold a chat completion."""


def api_limits(spec: ModelSpec) -> dict[str, Any]:
    opts = spec.options
    return {
        "concurrency": int(opts.get("concurrency", 4)),
        "limiter": RateLimiter(opts.get("requests_per_minute"), opts.get("tokens_per_minute")),
        "max_attempts": int(opts.get("malformed_retries", 3)),
        "backoff_s": float(opts.get("malformed_backoff_s", 0.5)),
    }


class OpenAIEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        import openai  # imported here: only jobs on this engine need the SDK

        self.openai = openai
        opts = spec.options
        base_url = opts.get("base_url")
        if not base_url:
            raise ConfigError(
                f"model {spec.name} (engine openai): options.base_url is required in the model "
                f"registry, e.g. http://127.0.0.1:8080/v1"
            )
        key_env = opts.get("api_key_env")
        # Servers without authentication accept any key, but the SDK insists on one.
        key = key_from_env(key_env, model=spec.name, engine="openai") if key_env else "none"
        self.client = openai.OpenAI(
            base_url=base_url,
            api_key=key,
            max_retries=int(opts.get("max_retries", 5)),
            timeout=float(opts.get("timeout_s", 600)),
        )
        self.limits = api_limits(spec)
        self.structured = spec.options.get("structured_outputs", "none")
        self.constraint_form = structured_form(spec, STRUCTURED_FORMS, "none")

    def constraint_fields(self, constraint: Constraint) -> tuple[dict[str, Any], dict[str, Any]]:
        """(request fields, extra_body fields) that carry a constraint to this server."""
        if self.structured == "json_schema":
            schema = {"name": constraint.name, "schema": constraint.schema(), "strict": True}
            return {"response_format": {"type": "json_schema", "json_schema": schema}}, {}
        if self.structured == "vllm":
            return {}, {"structured_outputs": {"regex": constraint.regex}}
        return {}, {"grammar": constraint.grammar}

    def _is_transient(self, exc: BaseException) -> bool:
        return isinstance(
            exc, MalformedResponse | json.JSONDecodeError | self.openai.APIResponseValidationError
        )

    def call(self, request: ChatRequest) -> ChatResponse:
        sampling = request.sampling
        kwargs: dict[str, Any] = {
            "model": self.spec.model,
            "messages": list(request.messages),
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if self.spec.options.get("send_seed", True):
            kwargs["seed"] = sampling.seed if sampling.seed is not None else derived_seed(request)
        if sampling.stop:
            kwargs["stop"] = list(sampling.stop)
        extra = dict(self.spec.options.get("extra_body") or {})
        constrained = self.constraint_form if request.constraint is not None else None
        if constrained:
            fields, body = self.constraint_fields(request.constraint)
            kwargs.update(fields)
            extra.update(body)
        if extra:
            kwargs["extra_body"] = extra
        start = time.perf_counter()
        out = self.client.chat.completions.create(**kwargs)
        try:
            choice = out.choices[0]
            text = choice.message.content
            usage = out.usage
            if not isinstance(text, str):
                raise TypeError("message.content is not a string")
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedResponse(
                f"model {self.spec.name}: server answered without a chat completion ({exc})"
            ) from None
        return ChatResponse(
            text=text,
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            engine="openai",
            model=self.spec.model,
            revision=self.spec.revision,
            latency_s=time.perf_counter() - start,
            constrained=constrained,
        )

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        yield from run_bounded(
            requests,
            self.call,
            label=f"model {self.spec.name} (openai)",
            is_transient=self._is_transient,
            **self.limits,
        )

    def close(self) -> None:
        self.client.close()
