"""`anthropic`: Claude through the official SDK, with its retries, or through Message Batches.

The key comes from the environment only (ANTHROPIC_API_KEY, or the variable named by
options.api_key_env). A system message goes into `system=`, never into `messages`.

Registry options:
  concurrency      calls in flight at once (default 4)
  requests_per_minute, tokens_per_minute   client-side limits (default: none)
  max_retries      SDK retries of 408/409/429/5xx/529 and timeouts per call (default 5)
  timeout_s        per-attempt timeout (default 600)
  base_url         another endpoint (a proxy, or the tests' stand-in server)
  batch            true: send misses through the Message Batches API (half price, results
                   within 24 h), for large judge jobs; a killed job resumes its open batches
  batch_min_size   smaller batches go through the ordinary API (default 1)
  batch_poll_s     seconds between status polls (default 30)
  temperature_only never send top_p, only temperature (default false): for models that refuse
                   the two together; the protocol sheet records it

Anthropic has no sampling seed: sampled output is not reproducible, recorded output is (replay).
Every request sends the sampling it is given: temperature always, top_p when below 1 (the
papers' Claude calls sent temperature only, which is what top_p 1 gives), max_tokens, stop.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..io import atomic_path
from .base import ChatRequest, ChatResponse, Engine, ModelSpec, request_key
from .keys import EngineCallError, key_from_env
from .openai import MalformedResponse, api_limits, structured_form
from .pool import run_bounded

log = logging.getLogger("personascope.engines")

# registry options.structured_outputs -> the constraint form reported with each answer:
# "output_config" = structured outputs (output_config.format JSON schema) for models that have
# them; "tool" = forced use of one tool whose input schema is the verdict (older models).
STRUCTURED_FORMS = {"none": None, "output_config": "json_schema", "tool": "tool"}
VERDICT_TOOL = "verdict"

# Body fields the SDK has no parameter for; sent through `extra_body`.
RAW_FIELDS = ("temperature", "top_p")


def split_system(messages: Sequence[dict[str, str]]) -> tuple[str | None, list[dict[str, str]]]:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system") or None
    return system, [
        {"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"
    ]


class BatchState:
    """Open Message Batches of one model, in a JSON file next to the call cache.

    Written before polling starts and after each batch is collected, so that a job killed while
    a batch is in flight picks that batch up on its rerun instead of paying for it twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[dict[str, Any]]:
        try:
            batches = json.loads(self.path.read_text(encoding="utf-8"))["batches"]
            if not all(
                isinstance(b, dict)
                and isinstance(b.get("id"), str)
                and isinstance(b.get("custom_ids"), list)
                for b in batches
            ):
                raise TypeError("a batch without id and custom_ids")
            return batches
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            # It names batches already paid for: never dropped silently, never guessed.
            raise EngineCallError(
                f"{self.path}: the open Message Batches file is unreadable ({exc}); restore it, "
                f"or delete it to submit its calls again (they are paid for twice)"
            ) from None

    def save(self, batches: list[dict[str, Any]]) -> None:
        with atomic_path(self.path, prefix=".tmp-") as tmp:
            tmp.write_text(json.dumps({"batches": batches}, indent=1), encoding="utf-8")


class AnthropicEngine(Engine):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        import anthropic  # imported here: only jobs on this engine need the SDK

        self.anthropic = anthropic
        opts = spec.options
        key = key_from_env(
            opts.get("api_key_env", "ANTHROPIC_API_KEY"), model=spec.name, engine="anthropic"
        )
        kwargs: dict[str, Any] = {
            "api_key": key,
            "max_retries": int(opts.get("max_retries", 5)),
            "timeout": float(opts.get("timeout_s", 600)),
        }
        if opts.get("base_url"):
            kwargs["base_url"] = opts["base_url"]
        self.client = anthropic.Anthropic(**kwargs)
        self.limits = api_limits(spec)
        self.constraint_form = structured_form(spec, STRUCTURED_FORMS, "none")

    # one call

    def params(self, request: ChatRequest) -> dict[str, Any]:
        """The request body's fields (also a Message Batches item's `params`)."""
        system, messages = split_system(request.messages)
        sampling = request.sampling
        params: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages,
            "max_tokens": sampling.max_tokens,
        }
        if system is not None:
            params["system"] = system
        if sampling.stop:
            params["stop_sequences"] = list(sampling.stop)
        # raw body fields, so an SDK without the parameters still sends what the study asked
        params["temperature"] = sampling.temperature
        if sampling.top_p < 1.0 and not self.spec.options.get("temperature_only", False):
            params["top_p"] = sampling.top_p
        if request.constraint is not None and self.constraint_form == "json_schema":
            params["output_config"] = {
                "format": {"type": "json_schema", "schema": request.constraint.schema()}
            }
        elif request.constraint is not None and self.constraint_form == "tool":
            params["tools"] = [
                {
                    "name": VERDICT_TOOL,
                    "description": "Record the verdict of this evaluation.",
                    "input_schema": request.constraint.schema(),
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": VERDICT_TOOL}
        return params

    def form_of(self, request: ChatRequest) -> str | None:
        return self.constraint_form if request.constraint is not None else None

    def call(self, request: ChatRequest) -> ChatResponse:
        params = self.params(request)
        raw = {k: params.pop(k) for k in RAW_FIELDS if k in params}
        start = time.perf_counter()
        message = self.client.messages.create(**params, extra_body=raw or None)
        response = self.response(message, start)
        response.constrained = self.form_of(request)
        return response

    def response(self, message: Any, start: float) -> ChatResponse:
        try:
            text = "".join(b.text for b in message.content if getattr(b, "type", "") == "text")
            tools = [
                b
                for b in message.content
                if getattr(b, "type", "") == "tool_use" and getattr(b, "name", "") == VERDICT_TOOL
            ]
            if tools:
                # a forced verdict tool: its input is the answer (checked against the schema)
                text = json.dumps(tools[0].input, ensure_ascii=False)
            usage = message.usage
            prompt_tokens = int(usage.input_tokens)
            completion_tokens = int(usage.output_tokens)
        except (AttributeError, TypeError, ValueError) as exc:
            raise MalformedResponse(
                f"model {self.spec.name}: the API answered without a message ({exc})"
            ) from None
        return ChatResponse(
            text=text,
            finish_reason=message.stop_reason or "end_turn",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            engine="anthropic",
            model=self.spec.model,
            revision=self.spec.revision,
            latency_s=time.perf_counter() - start,
        )

    def _is_transient(self, exc: BaseException) -> bool:
        return isinstance(
            exc,
            MalformedResponse | json.JSONDecodeError | self.anthropic.APIResponseValidationError,
        )

    def _direct(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        yield from run_bounded(
            requests,
            self.call,
            label=f"model {self.spec.name} (anthropic)",
            is_transient=self._is_transient,
            **self.limits,
        )

    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        opts = self.spec.options
        if opts.get("batch") and len(requests) >= int(opts.get("batch_min_size", 1)):
            try:
                yield from self._batched(requests)
            except self.anthropic.APIError as exc:
                # The SDK's error text holds the response body, which a proxy may fill with the
                # key: the batch path fails through the same redacting error as direct calls.
                raise EngineCallError(
                    f"model {self.spec.name} (anthropic Message Batches): "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        else:
            yield from self._direct(requests)

    # Message Batches

    def _state(self) -> BatchState:
        root = self.cache_dir if self.cache_dir is not None else Path(".")
        return BatchState(root / "_batches" / f"anthropic-{self.spec.name}.json")

    def _batched(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        # custom_id = the call's cache key: unique per distinct call and stable across reruns.
        ids = [request_key(self.identity(), r) for r in requests]
        wanted = {cid: i for i, cid in enumerate(ids)}
        state = self._state()
        batches = state.load()
        covered = {cid for b in batches for cid in b["custom_ids"]}
        new_ids = [cid for cid in ids if cid not in covered]
        if new_ids:
            created = self.client.messages.batches.create(
                requests=[
                    {"custom_id": cid, "params": self.params(requests[wanted[cid]])}
                    for cid in new_ids
                ]
            )
            batches.append({"id": created.id, "custom_ids": new_ids})
            state.save(batches)
            log.info(
                "model %s: submitted message batch %s (%d requests)",
                self.spec.name,
                created.id,
                len(new_ids),
            )
        yielded: set[int] = set()
        for batch in list(batches):
            if not wanted.keys() & set(batch["custom_ids"]):
                continue
            for cid, outcome in self._collect(batch["id"]):
                index = wanted.get(cid)
                if index is None or index in yielded:
                    continue
                if isinstance(outcome, ChatResponse):
                    outcome.constrained = self.form_of(requests[index])
                    yielded.add(index)
                    yield index, outcome
                else:
                    log.warning(
                        "model %s: batch %s item %s %s; retrying it directly",
                        self.spec.name,
                        batch["id"],
                        cid[:12],
                        outcome,
                    )
            # Everything this batch holds is now in the cache or queued for a direct call.
            batches = [b for b in batches if b["id"] != batch["id"]]
            state.save(batches)
        # Errored or expired items, and any the batch did not return, go through the API.
        missing = [i for i in range(len(requests)) if i not in yielded]
        if missing:
            for j, response in self._direct([requests[i] for i in missing]):
                yield missing[j], response

    def _collect(self, batch_id: str) -> Iterator[tuple[str, ChatResponse | str]]:
        poll_s = float(self.spec.options.get("batch_poll_s", 30))
        started = time.perf_counter()
        while True:
            batch = self.client.messages.batches.retrieve(batch_id)
            if batch.processing_status == "ended":
                break
            counts = batch.request_counts
            log.info(
                "model %s: batch %s %s (%d processing, %d succeeded, %d errored)",
                self.spec.name,
                batch_id,
                batch.processing_status,
                counts.processing,
                counts.succeeded,
                counts.errored,
            )
            time.sleep(poll_s)
        for line in self.client.messages.batches.results(batch_id):
            result = line.result
            if result.type == "succeeded":
                response = self.response(result.message, started)
                # A batch has no per-call latency (wall time is the whole batch's); 0 marks that.
                response.latency_s = 0.0
                yield line.custom_id, response
            else:
                detail = getattr(getattr(result, "error", None), "error", None)
                yield line.custom_id, f"{result.type} ({getattr(detail, 'type', '')})"

    def close(self) -> None:
        self.client.close()
