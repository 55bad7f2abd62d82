"""Every figure renders from its table, including tables where nothing parsed (NaN cells)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from personascope.personalens import datastats, figures, results
from step_support import call_step


def judgments(parsed: bool) -> pd.DataFrame:
    rows = []
    for i, (kind, domains) in enumerate([("SD", ["Alarm"]), ("SD", ["Books"]), ("MD", ["A", "B"])]):
        for dim in (
            "task_completion",
            "personalization",
            "naturalness_assistant",
            "coherence_assistant",
            "naturalness_user",
            "coherence_user",
        ):
            rows.append(
                {
                    "dialogue_id": f"d{i}",
                    "kind": kind,
                    "domains": domains,
                    "assistant_model": "m",
                    "setting": "base+all",
                    "judge_model": "j",
                    "dimension": dim,
                    "turn": None,
                    "value": 1.0 if parsed else None,
                    "status": "ok" if parsed else "parse_failure",
                }
            )
        for turn in (1, 2):
            rows.append(
                {
                    "dialogue_id": f"d{i}",
                    "kind": kind,
                    "domains": domains,
                    "assistant_model": "m",
                    "setting": "base+all",
                    "judge_model": "j",
                    "dimension": "personalization_turn",
                    "turn": turn,
                    "value": float(turn) if parsed else None,
                    "status": "ok" if parsed else "parse_failure",
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("parsed", [True, False])
@pytest.mark.parametrize("name", ["main_results", "ablation", "domain_results", "turn_level"])
def test_result_figures_render(tmp_path: Path, name: str, parsed: bool) -> None:
    table = results.JUDGE_TABLES[name](judgments(parsed))
    csv = tmp_path / f"{name}.csv"
    table.to_csv(csv, index=False)
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    call_step(
        figures.figure,
        {"table": csv},
        {"pdf": pdf, "png": png},
        name=name,
        focus_assistant=None,
        focus_setting=None,
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_demographics_figure_keeps_na_as_a_value(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    profiles = pd.DataFrame(
        {a: ["x", "N/A"] for a in datastats.DEMOGRAPHIC_ATTRIBUTES if a != "region"}
        | {"birth_country": ["Canada", "Japan"]}
    )
    csv = tmp_path / "demographics.csv"
    datastats.demographics_table(profiles).to_csv(csv, index=False)
    seen = {}
    plot = figures.FIGURES["demographics"]

    def spy(table: pd.DataFrame, params: dict):  # type: ignore[no-untyped-def]
        seen["values"] = set(table["value"])
        return plot(table, params)

    monkeypatch.setitem(figures.FIGURES, "demographics", spy)
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    call_step(
        figures.figure,
        {"table": csv},
        {"pdf": pdf, "png": png},
        name="demographics",
        focus_assistant=None,
        focus_setting=None,
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "N/A" in seen["values"]  # a release value, not a missing cell
