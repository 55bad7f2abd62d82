"""Persistent Personas figures: every figure of paths.py has a drawer, and a slice without some
datasets draws "no data for <dataset>" panels and names the absent datasets instead of failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import synthetic_ratings as syn
from personascope import paths
from personascope.persistence import figures, regressions, statistics
from step_support import call_step


def test_every_figure_target_has_a_drawer_and_known_sources() -> None:
    assert set(figures.FIGURES) == set(paths.PERSISTENCE_FIGURES)
    for sources in paths.PERSISTENCE_FIGURES.values():
        assert set(sources) <= set(paths.PERSISTENCE_FIGURE_SOURCES)


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    truth = syn.Truth(fidelity_rounds=[1, 2, 3], checkpoints=[0, 3], ifbench_items=3)
    ratings = statistics.validate_ratings(
        syn.ratings_table(truth, seed=3, models=["gemma-s", "api"])
    )
    ratings = ratings[ratings["dataset"] != "bfi"].assign(prefix_tokens=float("nan"))
    obs = statistics.metric_observations(ratings, None)
    return {
        "coverage": statistics.coverage(obs, ratings),
        "observations": obs,
        "means": statistics.checkpoint_summaries(obs, resamples=100),
        "differences": statistics.checkpoint_differences(obs, resamples=100),
        "length_cost": statistics.per_model_cost(
            statistics.length_cost_units(obs), ["model", "metric", "dialogue_type"], 100
        ),
        "personalization_cost": statistics.per_model_cost(
            statistics.personalization_cost_units(obs), ["model", "metric", "dialogue_type"], 100
        ),
        "type_difference": statistics.per_model_cost(
            statistics.type_difference_units(obs), ["model", "metric", "dialogue_type"], 100
        ),
        "length_effect": regressions.length_effects(obs),
        "persona_effect": regressions.persona_effects(obs),
    }


@pytest.mark.parametrize(
    ("name", "absent", "footnoted"),
    [
        ("ifbench_accuracy", "ifbench_loose", "ifbench_loose"),
        ("role_specific_win_rate", "rolebench_role_specific", "rolebench_role_specific"),
        ("length_cost_per_model", "xstest_safe", "xstest_safe"),
        ("type_difference_per_model", "xstest_safe", "xstest_safe"),
        # the slice has no token counts: present ratings, yet nothing to plot against
        ("metrics_vs_tokens", "xstest_unsafe", "xstest_safe"),
    ],
)
def test_absent_data_gets_a_no_data_panel(
    name: str,
    absent: str,
    footnoted: str,
    tables: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts: list[str] = []
    real_save = figures.save_figure

    def recording_save(fig: Any, pdf: Path, png: Path) -> None:
        texts.extend(t.get_text() for t in fig.texts)
        texts.extend(t.get_text() for ax in fig.axes for t in ax.texts)
        real_save(fig, pdf, png)

    monkeypatch.setattr(figures, "save_figure", recording_save)
    pdf, png = tmp_path / f"{name}.pdf", tmp_path / f"{name}.png"
    figures.FIGURES[name](tables, pdf, png)
    assert f"no data for {absent}" in texts
    if name == "metrics_vs_tokens":  # rated, but the slice has no token counts
        assert "no prefix token counts for\nfidelity_style" in texts
    footnotes = [t for t in texts if t.startswith("Absent datasets")]
    assert len(footnotes) == 1 and footnoted in footnotes[0]
    assert "fidelity_style" not in footnotes[0]  # present data is not called absent
    assert pdf.read_bytes().startswith(b"%PDF")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_present_data_is_drawn_not_replaced(
    tables: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, pdf, png: seen.append(fig))
    figures.FIGURES["ifbench_accuracy"](tables, tmp_path / "a.pdf", tmp_path / "a.png")
    strict_row = seen[0].axes[:4]  # rows = ifbench_strict, ifbench_loose
    assert all(ax.lines for ax in strict_row)
    assert not any(ax.texts for ax in strict_row)


def test_unknown_figure_name_is_an_error(tmp_path: Path) -> None:
    cov = tmp_path / "coverage.json"
    cov.write_text("{}")
    with pytest.raises(ValueError, match="unknown Persistent Personas figure 'nope'"):
        call_step(
            figures.figure,
            {"coverage": cov},
            {"pdf": tmp_path / "x.pdf", "png": tmp_path / "x.png"},
            name="nope",
        )


def test_figure_reads_csv_tables(tables: dict[str, Any], tmp_path: Path) -> None:
    """The step path: tables round-trip through CSV / Parquet files as the rule hands them over."""
    csv = tmp_path / "means.csv"
    tables["means"].to_csv(csv, index=False)
    cov = tmp_path / "coverage.json"
    cov.write_text(pd.Series(tables["coverage"]).to_json())
    call_step(
        figures.figure,
        {"coverage": cov, "means": csv},
        {"pdf": tmp_path / "f.pdf", "png": tmp_path / "f.png"},
        name="fidelity_vs_round",
    )
    assert (tmp_path / "f.pdf").stat().st_size > 1000
