"""The judge report of a study: how its judges answered, per judge x dimension.

Items; the count and rate of each judgment status (parsed first time, after the re-ask, from a
constrained answer, failed); the re-ask rate (items that needed one); the score distribution of
what parsed; judge-human agreement where a study gives human ratings; agreement between two
judges where a study has two (Cohen's kappa over the items both judged, quadratic weights for
ordinal scores). Written as `report.json` (sorted, atomic) and a readable `report.md`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from .io import read_parquet, write_json, write_text
from .judging import STATUS_FAILED, STATUS_OK_CONSTRAINED, STATUSES
from .steps import as_list


def read_judgments(paths: Path | Sequence[Path]) -> pd.DataFrame:
    # a rule's list input of one file reaches the step as that one path (steps.as_list)
    frames = [read_parquet(p) for p in as_list(paths)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _rate(n: int, total: int) -> float | None:
    return None if total == 0 else round(100.0 * n / total, 2)


def dimension_rows(judgments: pd.DataFrame, dimension: str) -> list[dict[str, Any]]:
    """One entry per judge x dimension (`dimension` names the column holding the dimension)."""
    rows = []
    for (judge, dim), group in judgments.groupby(["judge_model", dimension], sort=True):
        status = group["status"]
        counts = {s: int((status == s).sum()) for s in STATUSES}
        total = len(group)
        parsed = group.loc[status != STATUS_FAILED, "value"].dropna()
        reasked = int(group["reask_text"].notna().sum())
        rows.append(
            {
                "judge": judge,
                "dimension": dim,
                "items": total,
                "statuses": counts,
                "parse_failure_rate": _rate(counts[STATUS_FAILED], total),
                "reask_rate": _rate(reasked, total),
                "constrained_rate": _rate(counts[STATUS_OK_CONSTRAINED], total),
                "parsed_rate": _rate(total - counts[STATUS_FAILED], total),
                "mean": None if parsed.empty else round(float(parsed.mean()), 4),
                "distribution": {
                    _label(v): int(n) for v, n in parsed.value_counts().sort_index().items()
                },
            }
        )
    return rows


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def judge_agreement(
    judgments: pd.DataFrame, dimension: str, item_keys: Sequence[str]
) -> list[dict[str, Any]]:
    """Cohen's kappa between every two judges, per dimension, over items both scored."""
    judges = sorted(judgments["judge_model"].unique())
    parsed = judgments[judgments["status"] != STATUS_FAILED].copy()
    for key in item_keys:  # keys may be null (e.g. no turn for whole-dialogue dimensions)
        parsed[key] = parsed[key].astype(str)
    rows = []
    for i, a in enumerate(judges):
        for b in judges[i + 1 :]:
            for dim, group in parsed.groupby(dimension, sort=True):
                keys = [dimension, *item_keys]
                left = group[group["judge_model"] == a].set_index(keys)["value"]
                right = group[group["judge_model"] == b].set_index(keys)["value"]
                both = left.to_frame("a").join(right.to_frame("b"), how="inner")
                rows.append(
                    {
                        "judges": [a, b],
                        "dimension": dim,
                        "items": len(both),
                        "kappa_quadratic": _kappa(both["a"], both["b"]),
                    }
                )
    return rows


def _kappa(a: pd.Series, b: pd.Series) -> float | None:
    if len(a) < 2 or (a.nunique() < 2 and b.nunique() < 2):
        return None
    value = cohen_kappa_score(a.astype(int), b.astype(int), weights="quadratic")
    return None if math.isnan(value) else round(float(value), 4)


def build_report(
    study: str,
    judgments: pd.DataFrame,
    *,
    dimension: str,
    item_keys: Sequence[str],
    judge_mode: str,
    human_agreement: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    total = len(judgments)
    failed = int((judgments["status"] == STATUS_FAILED).sum()) if total else 0
    return {
        "study": study,
        "judge_mode": judge_mode,
        "items": total,
        "parsed_rate": _rate(total - failed, total),
        "judges": [] if not total else dimension_rows(judgments, dimension),
        "judge_agreement": [] if not total else judge_agreement(judgments, dimension, item_keys),
        "human_agreement": human_agreement,
    }


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Judge report: {report['study']}",
        "",
        f"Judge mode `{report['judge_mode']}`; {report['items']} judgments, "
        f"{_pct(report['parsed_rate'])} parsed.",
        "",
        "| judge | dimension | items | ok | ok after re-ask | ok constrained | parse failures "
        "| re-ask rate | mean | scores |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["judges"]:
        s = r["statuses"]
        scores = ", ".join(f"{k}: {v}" for k, v in r["distribution"].items()) or "-"
        lines.append(
            f"| {r['judge']} | {r['dimension']} | {r['items']} | {s['ok']} | "
            f"{s['ok_after_reask']} | {s['ok_constrained']} | {s['parse_failure']} "
            f"({_pct(r['parse_failure_rate'])}) | {_pct(r['reask_rate'])} | "
            f"{'-' if r['mean'] is None else r['mean']} | {scores} |"
        )
    if report["judge_agreement"]:
        lines += ["", "Agreement between judges (Cohen's kappa, quadratic weights):", ""]
        lines += ["| judges | dimension | items | kappa |", "|---|---|---|---|"]
        for r in report["judge_agreement"]:
            kappa = "-" if r["kappa_quadratic"] is None else r["kappa_quadratic"]
            lines.append(
                f"| {' vs '.join(r['judges'])} | {r['dimension']} | {r['items']} | {kappa} |"
            )
    if report["human_agreement"] is not None:
        lines += ["", "Judge-human agreement:", ""]
        if report["human_agreement"]:
            keys = list(report["human_agreement"][0])
            lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            lines += [
                "| " + " | ".join(str(row.get(k, "")) for k in keys) + " |"
                for row in report["human_agreement"]
            ]
        else:
            lines.append("(no human ratings matched the judged items)")
    return "\n".join(lines) + "\n"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:g} %"


def write_report(report: dict[str, Any], json_path: Path, md_path: Path) -> None:
    write_json(report, json_path)
    write_text(render_markdown(report), md_path)
