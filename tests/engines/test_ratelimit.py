"""Client-side requests/tokens-per-minute limits, on a simulated clock."""

from __future__ import annotations

from personascope.engines.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_requests_per_minute_spaces_calls_into_the_next_window() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_minute=3, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(7):
        limiter.acquire()
        starts.append(clock.now)
    assert starts == [0, 0, 0, 60, 60, 60, 120]


def test_tokens_per_minute_waits_until_enough_budget_expires() -> None:
    clock = Clock()
    limiter = RateLimiter(tokens_per_minute=1000, clock=clock, sleep=clock.sleep)
    limiter.acquire(600)
    clock.now = 10
    limiter.acquire(300)
    limiter.acquire(300)  # 1200 > 1000: waits until the first (600) leaves the window at 60
    assert clock.now == 60
    limiter.acquire(5000)  # larger than the whole budget: goes alone once the window is clear
    assert clock.now == 120  # the last 300 from t=60 leaves the window at 120


def test_no_limits_never_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire(10**6)
    assert clock.slept == []
