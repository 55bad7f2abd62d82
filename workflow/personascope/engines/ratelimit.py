"""Client-side requests/tokens-per-minute limits for API engines (a sliding one-minute window).

Provider limits are per minute; staying under them avoids the 429 storms that retries alone turn
into long backoffs. Token counts are estimated before the call (prompt characters / 4 plus the
completion budget), which over- rather than under-estimates.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


def estimate_tokens(chars: int, max_tokens: int) -> int:
    return chars // 4 + 1 + max_tokens


class RateLimiter:
    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.events: deque[tuple[float, int]] = deque()

    def _wait_time(self, now: float, tokens: int) -> float:
        while self.events and now - self.events[0][0] >= WINDOW_S:
            self.events.popleft()
        waits = [0.0]
        if self.rpm and len(self.events) >= self.rpm:
            index = len(self.events) - int(self.rpm)
            waits.append(self.events[index][0] + WINDOW_S - now)
        if self.tpm:
            # A single call larger than the whole budget still goes, alone in its window.
            budget = max(self.tpm, tokens)
            used = sum(t for _, t in self.events)
            excess = used + tokens - budget
            for stamp, spent in self.events:
                if excess <= 0:
                    break
                excess -= spent
                waits.append(stamp + WINDOW_S - now)
        return max(waits)

    def acquire(self, tokens: int = 0) -> float:
        """Block until a call of `tokens` fits the limits; returns the seconds waited."""
        if not self.rpm and not self.tpm:
            return 0.0
        waited = 0.0
        while True:
            with self.lock:
                now = self.clock()
                wait = self._wait_time(now, tokens)
                if wait <= 0:
                    self.events.append((now, tokens))
                    return waited
            self.sleep(wait)
            waited += wait
