"""Outcome counts of the fault suite, printed at the end of the run (tests/faults/conftest.py).

Each probe is one case; its outcome is one of OUTCOMES. The suite's tests assert that no case is
crashed, leaked, mis-scored or silently accepted; the counts say what was tried.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from personascope.errors import PersonascopeError

CLEAN = "clean error"
ACCEPTED = "accepted (valid)"
RECOVERED = "recovered"
MIS_SCORED = "mis-scored"
CRASHED = "crashed"
LEAKED = "leaked"
SILENT = "silently accepted"
REFUSED = "refused"  # a judge text's readable verdict taken for a parse failure
OUTCOMES = (CLEAN, RECOVERED, ACCEPTED, MIS_SCORED, CRASHED, LEAKED, SILENT, REFUSED)

COUNTS: dict[str, Counter[str]] = defaultdict(Counter)


def record(family: str, outcome: str) -> str:
    COUNTS[family][outcome] += 1
    return outcome


def expect_clean_error(
    family: str, probe: Callable[[], Any], *fragments: str, errors: type = PersonascopeError
) -> str:
    """Run `probe`: a typed error whose message holds `fragments` is clean; no error is silent;
    any other exception (or a message without the fragments) is a crash."""
    try:
        probe()
    except errors as exc:
        missing = [f for f in fragments if f not in str(exc)]
        return record(family, CRASHED if missing else CLEAN) + (
            f" (message lacks {missing}: {exc})" if missing else ""
        )
    except Exception as exc:
        return record(family, CRASHED) + f" ({type(exc).__name__}: {exc})"
    return record(family, SILENT)


def summary() -> list[str]:
    lines = ["fault suite: tried / " + " / ".join(OUTCOMES)]
    total: Counter[str] = Counter()
    for family in sorted(COUNTS):
        counts = COUNTS[family]
        total.update(counts)
        lines.append(_line(family, counts))
    lines.append(_line("all", total))
    return lines


def _line(name: str, counts: Counter[str]) -> str:
    tried = sum(counts.values())
    return f"  {name:<14} {tried:>4} tried: " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES)
