"""Dataset statistics of the PersonaLens release: domains, demographics, preferences.

Always computed over the whole release (all 1,500 profiles), whatever user sample the dialogues
use, so that the tables describe the benchmark rather than one run.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputDataError
from .regions import COUNTRY_COLUMN, region_of
from .release import SURVEY_ATTRIBUTES

# The demographics table: the survey answers, and the paper's region of the country of birth.
DEMOGRAPHIC_ATTRIBUTES = (*SURVEY_ATTRIBUTES, "region")


def domain_table(scenarios: pd.DataFrame) -> pd.DataFrame:
    """Per domain: distinct SD + MD tasks involving it and user-task scenarios involving it
    (an MD scenario counts toward each of its domains); then SD / MD / overall totals."""
    exploded = scenarios[["task_id", "kind", "domains"]].explode("domains")
    rows = [
        {"domain": domain, "tasks": group["task_id"].nunique(), "dialogues": len(group)}
        for domain, group in exploded.groupby("domains", sort=True)
    ]
    for label, sub in (
        ("SD total", scenarios[scenarios["kind"] == "SD"]),
        ("MD total", scenarios[scenarios["kind"] == "MD"]),
        ("total", scenarios),
    ):
        rows.append({"domain": label, "tasks": sub["task_id"].nunique(), "dialogues": len(sub)})
    return pd.DataFrame(rows, columns=["domain", "tasks", "dialogues"])


def demographics_table(profiles: pd.DataFrame) -> pd.DataFrame:
    """Counts and percentages of every demographic value (region: the paper's Table 7 rows,
    from the country of birth; personalens/regions.py)."""
    frame = profiles.assign(region=profiles[COUNTRY_COLUMN].map(region_of))
    rows = []
    total = len(frame)
    for attr in DEMOGRAPHIC_ATTRIBUTES:
        counts = frame[attr].value_counts()
        # most frequent first, ties by value, so the table reads like the paper's
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append(
                {
                    "attribute": attr,
                    "value": value,
                    "count": int(count),
                    "percent": 100.0 * count / total,
                }
            )
    return pd.DataFrame(rows, columns=["attribute", "value", "count", "percent"])


def evenness(counts: list[int] | np.ndarray) -> float:
    """Shannon evenness H / log(n) over the n values that occur (natural logs; the base
    cancels). Defined as NaN when n <= 1: with a single value (or none) there is no spread to
    measure and H / log(1) is 0/0."""
    arr = np.asarray([c for c in counts if c > 0], dtype=float)
    if arr.size <= 1:
        return float("nan")
    p = arr / arr.sum()
    return float(-(p * np.log(p)).sum() / math.log(arr.size))


def preference_table(affinities: pd.DataFrame, schema: pd.DataFrame) -> pd.DataFrame:
    """Per domain and preference: categorical?, possible values (categorical only; open-ended
    preferences list examples, not a closed set: NaN), values that occur, evenness."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for r in affinities.itertuples(index=False):
        counts.setdefault((r.domain, r.preference), Counter()).update(list(r.values))
    rows = []
    for r in schema.itertuples(index=False):
        found = counts.get((r.domain, r.preference), Counter())
        rows.append(
            {
                "domain": r.domain,
                "preference": r.preference,
                "categorical": bool(r.categorical),
                "possible": len(r.possible_values) if r.categorical else float("nan"),
                "generated": len(found),
                "evenness": evenness(list(found.values())),
            }
        )
    unknown = sorted(set(counts) - {(r.domain, r.preference) for r in schema.itertuples()})
    if unknown:
        raise InputDataError(f"affinities: preferences not in the preference schema: {unknown[:5]}")
    table = pd.DataFrame(rows)
    table["possible"] = table["possible"].astype("Int64")
    return table


def check_interest_mask(scenarios: pd.DataFrame, interests: pd.DataFrame) -> None:
    """Every scenario's domains must be domains its user is interested in (upstream's rule)."""
    ok = set(
        zip(
            interests.loc[interests["interested"] == 1, "user_id"],
            interests.loc[interests["interested"] == 1, "domain"],
            strict=True,
        )
    )
    bad = [
        (u, d)
        for u, ds in zip(scenarios["user_id"], scenarios["domains"], strict=True)
        for d in ds
        if (u, d) not in ok
    ]
    if bad:
        raise InputDataError(
            f"scenarios: {len(bad)} task domain(s) masked by the user's interests, e.g. {bad[:3]}"
        )


def latex_frame(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Floats as fixed-digit strings and missing values as "--" (write_latex prints .1f)."""

    def cell(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return "--"
        if isinstance(value, float | np.floating):
            return f"{value:.{digits}f}"
        return value

    return table.astype(object).map(cell)
