"""A bounded cache of llama.cpp KV states, keyed by the messages a state has read.

The local engine evaluates a prompt one message at a time, always from the state after the
message before, so the path to a message's state is the same whether it was computed now or
restored from here: a restored prefix gives byte-identical KV and therefore the same response.

Keys chain: the key after message i is the hash of the key after message i-1 and message i, so
one lookup per message finds the longest cached prefix of a request. Values are the KV cells of
sequence 0 (`llama_state_seq_get_data`: the used cells only, no logits — a few hundred KB per
hundred tokens for SmolLM2-135M, rather than the ~100 MB per state of `Llama.save_state`, which
also copies the logits buffer). The least recently used states are dropped past `max_bytes`.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ROOT_KEY = hashlib.sha256(b"personascope prefix cache").hexdigest()


def chain_keys(messages: Sequence[dict[str, str]]) -> list[str]:
    """The key of each prefix: keys[i] names the state after messages[: i + 1]."""
    keys, key = [], ROOT_KEY
    for message in messages:
        blob = json.dumps(message, sort_keys=True, ensure_ascii=False).encode("utf-8")
        key = hashlib.sha256(key.encode("ascii") + blob).hexdigest()
        keys.append(key)
    return keys


@dataclass(frozen=True)
class KVState:
    """The KV cache after `tokens` (the prompt so far), as llama.cpp serialized it."""

    tokens: tuple[int, ...]
    data: bytes

    @property
    def nbytes(self) -> int:
        return len(self.data) + 4 * len(self.tokens)


class PrefixStateCache:
    """Least-recently-used KV states under a byte cap; counts hits, misses and evictions."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"prefix cache cap must be positive, got {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.states: OrderedDict[str, KVState] = OrderedDict()
        self.bytes = 0
        self.peak_bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def longest_prefix(self, keys: Sequence[str]) -> tuple[int, KVState | None]:
        """(number of messages covered, state) of the longest cached prefix; (0, None) if none."""
        for n in range(len(keys), 0, -1):
            state = self.states.get(keys[n - 1])
            if state is not None:
                self.states.move_to_end(keys[n - 1])
                self.hits += 1
                return n, state
        self.misses += 1
        return 0, None

    def put(self, key: str, state: KVState) -> None:
        if key in self.states:
            self.states.move_to_end(key)
            return
        if state.nbytes > self.max_bytes:
            return  # one state over the whole cap: not kept, the request still runs
        self.states[key] = state
        self.bytes += state.nbytes
        while self.bytes > self.max_bytes:
            _, dropped = self.states.popitem(last=False)
            self.bytes -= dropped.nbytes
            self.evictions += 1
        self.peak_bytes = max(self.peak_bytes, self.bytes)

    def stats(self) -> dict[str, int]:
        return {
            "prefix_cache_cap_bytes": self.max_bytes,
            "prefix_cache_peak_bytes": self.peak_bytes,
            "prefix_cache_hits": self.hits,
            "prefix_cache_misses": self.misses,
            "prefix_cache_evictions": self.evictions,
        }


def capture(llm: Any) -> KVState:
    """The KV cells of sequence 0 and the tokens they hold, from a `llama_cpp.Llama`."""
    import llama_cpp

    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    if written == 0 or written > size:
        raise RuntimeError(f"llama.cpp: could not copy the KV state ({written} of {size} bytes)")
    tokens = tuple(int(t) for t in llm.input_ids[: llm.n_tokens])
    return KVState(tokens, ctypes.string_at(buffer, written))


def restore(llm: Any, state: KVState) -> None:
    """Put `state` into an emptied KV cache, so the cells sit where a fresh evaluation puts them."""
    import llama_cpp

    llm._ctx.kv_cache_clear()
    buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
    read = llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state.data), 0)
    if read != len(state.data):
        raise RuntimeError(f"llama.cpp: could not restore a KV state ({read} bytes read)")
    n = len(state.tokens)
    llm.input_ids[:n] = state.tokens
    llm.n_tokens = n
