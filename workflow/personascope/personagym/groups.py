"""Upstream's unit of judging: a task's questions in groups of `group_size`, in order."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

KEY = ["persona_id", "task", "group"]


def with_groups(table: pd.DataFrame, group_size: int) -> pd.DataFrame:
    """`group` (0, 1, ...) and `slot` (place in the group) from each row's position in its task."""
    if group_size < 1:
        raise ValueError(f"group_size must be at least 1, got {group_size}")
    ordered = table.sort_values(["persona_id", "task", "position"], kind="stable").copy()
    rank = ordered.groupby(["persona_id", "task"], sort=False).cumcount()
    ordered["group"] = rank // group_size
    ordered["slot"] = rank % group_size
    return ordered.reset_index(drop=True)


def iter_groups(table: pd.DataFrame) -> Iterator[tuple[tuple[str, str, int], pd.DataFrame]]:
    """(persona_id, task, group) and the group's rows in slot order."""
    for key, rows in table.groupby(KEY, sort=False):
        yield key, rows.sort_values("slot")
