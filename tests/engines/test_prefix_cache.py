"""The prefix cache's bookkeeping (no model): keys chain, the cap holds, LRU eviction."""

from __future__ import annotations

import pytest
from personascope.engines.prefix_cache import KVState, PrefixStateCache, chain_keys


def msg(role: str, text: str) -> dict[str, str]:
    return {"role": role, "content": text}


def test_a_key_names_the_whole_prefix_not_just_the_last_message() -> None:
    a = chain_keys([msg("system", "s"), msg("user", "hi")])
    b = chain_keys([msg("system", "t"), msg("user", "hi")])
    assert a[1] != b[1]  # same last message, different history
    assert chain_keys([msg("system", "s")])[0] == a[0]
    assert a[0] != chain_keys([msg("user", "s")])[0]  # the role is part of the message


def test_the_longest_cached_prefix_is_found() -> None:
    keys = chain_keys([msg("system", "s"), msg("user", "u"), msg("assistant", "a")])
    cache = PrefixStateCache(10_000)
    cache.put(keys[0], KVState((1,), b"x" * 10))
    cache.put(keys[1], KVState((1, 2), b"y" * 20))
    n, state = cache.longest_prefix(keys)
    assert n == 2 and state is not None and state.tokens == (1, 2)
    assert cache.longest_prefix(chain_keys([msg("user", "other")])) == (0, None)
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_cap_holds_and_the_least_recently_used_state_goes_first() -> None:
    cache = PrefixStateCache(max_bytes=1000)
    state = KVState((1,) * 10, b"z" * 260)  # 300 bytes with its tokens
    for key in ("a", "b", "c"):
        cache.put(key, state)
    cache.longest_prefix(["a"])  # a is now the most recently used
    cache.put("d", state)
    assert set(cache.states) == {"a", "c", "d"}
    assert cache.bytes <= 1000 and cache.peak_bytes <= 1000
    assert cache.evictions == 1


def test_a_state_over_the_whole_cap_is_not_kept() -> None:
    cache = PrefixStateCache(max_bytes=100)
    cache.put("big", KVState((), b"q" * 200))
    assert not cache.states and cache.bytes == 0


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PrefixStateCache(0)
