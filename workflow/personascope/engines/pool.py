"""Bounded-concurrency execution of one batch against an API, yielding calls as they finish.

The SDKs retry transport failures, 429, 5xx and 529 themselves (bounded by `max_retries`, each
retry logged by the SDK's logger). This layer adds a few bounded, logged retries for what the
SDKs do not retry (a malformed 200 body), keeps going when one item fails for good so that every
finished call still reaches the cache, and raises at the end naming what failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .base import ChatRequest, ChatResponse
from .keys import EngineCallError, redact
from .ratelimit import RateLimiter, estimate_tokens

log = logging.getLogger("personascope.engines")


def request_tokens(request: ChatRequest) -> int:
    chars = sum(len(m["content"]) for m in request.messages)
    return estimate_tokens(chars, request.sampling.max_tokens)


def run_bounded(
    requests: Sequence[ChatRequest],
    call: Callable[[ChatRequest], ChatResponse],
    *,
    label: str,
    concurrency: int = 4,
    limiter: RateLimiter | None = None,
    is_transient: Callable[[BaseException], bool] = lambda exc: False,
    max_attempts: int = 3,
    backoff_s: float = 0.5,
) -> Iterator[tuple[int, ChatResponse]]:
    limiter = limiter or RateLimiter()

    def attempt(index: int) -> ChatResponse:
        request = requests[index]
        for number in range(1, max_attempts + 1):
            limiter.acquire(request_tokens(request))
            try:
                return call(request)
            except Exception as exc:
                if number == max_attempts or not is_transient(exc):
                    raise
                delay = min(backoff_s * 2 ** (number - 1), 30.0)
                log.warning(
                    "%s: item %d attempt %d/%d failed (%s: %s); retrying in %.1fs",
                    label,
                    index,
                    number,
                    max_attempts,
                    type(exc).__name__,
                    redact(str(exc))[:200],
                    delay,
                )
                time.sleep(delay)
        raise AssertionError("unreachable")

    failures: list[tuple[int, BaseException]] = []
    executor = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="engine")
    try:
        futures: dict[Future[ChatResponse], int] = {
            executor.submit(attempt, i): i for i in range(len(requests))
        }
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: futures[f]):
                index = futures[future]
                exc = future.exception()
                if exc is not None:
                    log.error(
                        "%s: item %d failed: %s: %s",
                        label,
                        index,
                        type(exc).__name__,
                        redact(str(exc))[:500],
                    )
                    failures.append((index, exc))
                else:
                    yield index, future.result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    if failures:
        index, first = failures[0]
        raise EngineCallError(
            f"{label}: {len(failures)} of {len(requests)} calls failed after retries "
            f"(items {sorted(i for i, _ in failures)}); first, item {index}: "
            f"{type(first).__name__}: {first}"
        )
