"""Progress of a long engine batch in the job log: done/total, tokens per second, ETA."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("personascope.engines")


def format_eta(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress:
    """Logs at most every `interval_s` seconds, and once at the end of the batch."""

    def __init__(
        self,
        label: str,
        total: int,
        interval_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.last_report = self.start
        self.done = 0
        self.tokens = 0

    def line(self) -> str:
        elapsed = max(self.clock() - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta_text = format_eta(eta) if eta != float("inf") else "?"
        return (
            f"{self.label}: {self.done}/{self.total} calls, "
            f"{self.tokens / elapsed:.1f} tok/s, ETA {eta_text}"
        )

    def update(self, tokens: int) -> None:
        self.done += 1
        self.tokens += tokens
        now = self.clock()
        if self.done == self.total or now - self.last_report >= self.interval_s:
            self.last_report = now
            log.info("%s", self.line())
