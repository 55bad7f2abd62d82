"""The judge report: statuses, re-ask and constrained rates, score distributions, judge-judge
agreement — from a hand-made judgments table whose figures are counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from personascope.judge_report import build_report, write_report


def row(judge, dim, item, value, status, reask=None):
    return {
        "judge_model": judge,
        "dimension": dim,
        "dialogue_id": item,
        "turn": None,
        "value": value,
        "status": status,
        "reask_text": reask,
    }


JUDGMENTS = pd.DataFrame(
    [
        row("j1", "coherence", "d1", 4.0, "ok_constrained"),
        row("j1", "coherence", "d2", 2.0, "ok_after_reask", "Score: 2"),
        row("j1", "coherence", "d3", None, "parse_failure", "no idea"),
        row("j1", "coherence", "d4", 4.0, "ok"),
        row("j2", "coherence", "d1", 4.0, "ok"),
        row("j2", "coherence", "d2", 2.0, "ok"),
        row("j2", "coherence", "d4", 5.0, "ok"),
    ]
)


def test_rates_distribution_and_agreement(tmp_path: Path) -> None:
    report = build_report(
        "personalens",
        JUDGMENTS,
        dimension="dimension",
        item_keys=("dialogue_id", "turn"),
        judge_mode="constrained",
    )
    j1 = next(r for r in report["judges"] if r["judge"] == "j1")
    assert j1["items"] == 4
    assert j1["statuses"] == {
        "ok": 1,
        "ok_after_reask": 1,
        "ok_constrained": 1,
        "parse_failure": 1,
    }
    assert (j1["parse_failure_rate"], j1["reask_rate"], j1["constrained_rate"]) == (25, 50, 25)
    assert j1["distribution"] == {"2": 1, "4": 2} and j1["mean"] == round(10 / 3, 4)
    assert report["items"] == 7 and report["parsed_rate"] == round(600 / 7, 2)
    (pair,) = report["judge_agreement"]
    # d1, d2, d4 judged by both (d3 failed for j1): (4,4), (2,2), (4,5)
    assert pair["judges"] == ["j1", "j2"] and pair["items"] == 3
    assert 0 < pair["kappa_quadratic"] < 1
    write_report(report, tmp_path / "report.json", tmp_path / "report.md")
    assert json.loads((tmp_path / "report.json").read_text())["judge_mode"] == "constrained"
    md = (tmp_path / "report.md").read_text()
    assert "| j1 | coherence | 4 | 1 | 1 | 1 | 1 (25 %) | 50 % |" in md
