"""The one batch interface every model engine implements.

Callers hand over a whole batch (a dialogue round, a judge job) at once; the engine decides how
to run it: vLLM as one offline batch, API engines with bounded concurrency, llama.cpp in a loop.
Engines yield results as they complete so that the call cache can record each finished call at
once and a killed job resumes without repeating it.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EngineError

Message = dict[str, str]


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None
    stop: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None, **override: Any) -> Sampling:
        merged = {**(cfg or {}), **{k: v for k, v in override.items() if v is not None}}
        known = {
            k: merged[k] for k in ("temperature", "top_p", "max_tokens", "seed") if k in merged
        }
        return cls(**known, stop=tuple(merged.get("stop", ())))


@dataclass(frozen=True)
class Constraint:
    """What a constrained answer must look like, in every form an engine may take it.

    Built from a verdict format (`personascope.verdicts`); an engine applies the form its
    registry entry supports and reports it in `ChatResponse.constrained`, and the call cache
    checks the answer against that form (`constraint_mismatch`) before anyone reads it.
    """

    name: str
    regex: str  # the whole answer; no named groups (vLLM's regex backends)
    grammar: str  # GBNF (llama.cpp)
    json_schema: str  # JSON schema as canonical JSON text (API structured outputs, tool input)

    def schema(self) -> dict[str, Any]:
        return json.loads(self.json_schema)


TEXT_FORMS = ("regex", "grammar")
CUT_SHORT = ("length", "max_tokens")  # finish reasons of an answer stopped by its token budget


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    sampling: Sampling = field(default_factory=Sampling)
    constraint: Constraint | None = None

    @classmethod
    def of(
        cls,
        messages: Sequence[Message],
        sampling: Sampling | None = None,
        constraint: Constraint | None = None,
    ) -> ChatRequest:
        return cls(tuple(dict(m) for m in messages), sampling or Sampling(), constraint)


@dataclass
class ChatResponse:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    engine: str
    model: str
    revision: str
    latency_s: float
    raw_text: str | None = None  # before quirk post-processing (e.g. <think> removal)
    cached: bool = False
    # the constraint form the engine applied ("grammar", "regex", "json_schema", "tool", ...);
    # None: the answer is free text (no constraint asked, or the engine has none)
    constrained: str | None = None
    # Prompt tokens the engine did not evaluate because a shared prefix's KV state was kept
    # (local: its prefix cache; vLLM: automatic prefix caching), of `prompt_tokens`.
    prefix_cached_tokens: int = 0

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChatResponse:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in record.items() if k in names})


@dataclass(frozen=True)
class ModelSpec:
    """One model registry entry, as the engines need it."""

    name: str
    engine: str
    model: str
    revision: str
    family: str
    size_class: int
    generation: dict[str, Any]
    quirks: dict[str, Any]
    options: dict[str, Any]
    # USD per million tokens, {"input": ..., "output": ...}: the estimated cost in usage summaries.
    price: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_registry(cls, name: str, entry: dict[str, Any]) -> ModelSpec:
        return cls(
            name=name,
            engine=entry["engine"],
            model=entry["model"],
            revision=str(entry.get("revision", "")),
            family=entry.get("family", name),
            size_class=int(entry.get("size_class", 1)),
            generation=dict(entry.get("generation", {})),
            quirks=dict(entry.get("quirks", {})),
            options=dict(entry.get("options", {})),
            price={k: float(v) for k, v in (entry.get("price") or {}).items()},
        )

    def identity(self) -> dict[str, str]:
        return {"engine": self.engine, "model": self.model, "revision": self.revision}


THINK_BLOCK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)


def apply_request_quirks(messages: Sequence[Message], quirks: dict[str, Any]) -> list[Message]:
    """Rewrite messages for models that need it (registry quirks, not code paths)."""
    out = [dict(m) for m in messages]
    prefix = quirks.get("system_prompt_prefix")
    if prefix:
        if out and out[0]["role"] == "system":
            # upstream's Nemotron switch is joined by a blank line (`system_prompt_separator`)
            sep = quirks.get("system_prompt_separator", "\n")
            out[0]["content"] = f"{prefix}{sep}{out[0]['content']}" if out[0]["content"] else prefix
        else:
            out.insert(0, {"role": "system", "content": prefix})
    if quirks.get("no_system_role") and out and out[0]["role"] == "system":
        system = out.pop(0)["content"]
        if out and out[0]["role"] == "user":
            out[0]["content"] = f"{system}\n\n{out[0]['content']}"
        else:
            out.insert(0, {"role": "user", "content": system})
    return out


def apply_response_quirks(text: str, quirks: dict[str, Any]) -> str:
    if quirks.get("strip_think"):
        text = THINK_BLOCK.sub("", text).strip()
    return text


def request_key(model: ModelSpec | Mapping[str, str], request: ChatRequest) -> str:
    """Content address of a call: what was sent, to which model, with which sampling.

    `model` is a spec or an identity {engine, model, revision}: replay keys by the identity of
    the model it stands for, so its lookups hit the keys that model's calls were recorded under.
    """
    ident = model.identity() if isinstance(model, ModelSpec) else model
    payload = {
        "engine": ident["engine"],
        "model": ident["model"],
        "revision": ident["revision"],
        "messages": list(request.messages),
        "sampling": asdict(request.sampling),
    }
    if request.constraint is not None:
        # Only constrained calls carry the field, so free calls keep the keys they always had.
        payload["constraint"] = asdict(request.constraint)
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def json_mismatch(value: Any, schema: dict[str, Any], where: str = "answer") -> str | None:
    """Why `value` does not satisfy `schema` (the subset verdict schemas use), or None."""
    kind = schema.get("type")
    checks = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "integer": int,
    }
    if kind in checks and (
        not isinstance(value, checks[kind]) or (kind == "integer" and isinstance(value, bool))
    ):
        return f"{where} is {type(value).__name__}, expected {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} = {value!r}, expected one of {schema['enum']}"
    if kind == "object":
        props = schema.get("properties", {})
        missing = [k for k in schema.get("required", []) if k not in value]
        if missing:
            return f"{where} lacks {missing}"
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return f"{where} has unexpected keys {sorted(set(value) - set(props))}"
        for key, sub in props.items():
            if key in value:
                problem = json_mismatch(value[key], sub, f"{where}.{key}")
                if problem:
                    return problem
    if kind == "array":
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            return f"{where} has {len(value)} items"
        for i, item in enumerate(value):
            problem = json_mismatch(item, schema.get("items", {}), f"{where}[{i}]")
            if problem:
                return problem
    return None


def constraint_mismatch(constraint: Constraint, response: ChatResponse) -> str | None:
    """Why a constrained answer does not match the form its engine applied, or None."""
    if response.constrained is None or response.finish_reason in CUT_SHORT:
        # An answer cut at max_tokens is incomplete, not unconstrained: its reader fails, the
        # judge records a parse failure (and re-asks); nothing here to blame on the engine.
        return None
    if response.constrained in TEXT_FORMS:
        if re.fullmatch(constraint.regex, response.text, re.DOTALL) is None:
            return f"the text does not match the {response.constrained} constraint"
        return None
    try:
        value = json.loads(response.text)
    except ValueError:
        return f"the text is not the JSON object the {response.constrained} constraint asked for"
    return json_mismatch(value, constraint.schema())


class Engine(ABC):
    """A model behind the batch interface. Subclasses implement `stream`."""

    # The constraint form this engine applies to constrained requests (None: it has none and
    # answers them as free text). Engines set it from their registry entry.
    constraint_form: str | None = None

    # Set by `open_engine`: where engines keep state next to the call cache (batch ids, bundles).
    cache_dir: Path | None = None

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def identity(self) -> dict[str, str]:
        """The (engine, model, revision) calls are cached under."""
        return self.spec.identity()

    @abstractmethod
    def stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse]]:
        """Run a batch; yield (index into requests, response) as each call finishes."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model or connections."""

    def usage_extra(self) -> dict[str, Any]:
        """Engine-specific counters for the job's usage summary (e.g. prefix-cache statistics)."""
        return {}

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        results: list[ChatResponse | None] = [None] * len(requests)
        for index, response in self.stream(requests):
            results[index] = response
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise EngineError(f"engine {self.spec.engine} returned no response for items {missing}")
        return results  # type: ignore[return-value]
