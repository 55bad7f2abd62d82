"""The statistics and figure rules run through Snakemake from a ratings table given in the config
(`persistence.ratings_table`): no model or judge call, every table and figure target written."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import synthetic_ratings as syn
from conftest import PERSONALENS_ARCHIVE, SHARED_DATA, run_snakemake, write_config
from personascope import paths

pytestmark = pytest.mark.workflow

TARGETS = [
    *[
        paths.persistence_table(name, ext)
        for name, exts in paths.PERSISTENCE_TABLES.items()
        for ext in exts
    ],
    *[
        paths.persistence_figure(name, ext)
        for name in paths.PERSISTENCE_FIGURES
        for ext in ("pdf", "png")
    ],
]
REGRESSION_COLUMNS = ["dataset", "coefficient", "ci_low", "ci_high", "p_value"]


def config(ratings: Path) -> dict[str, object]:
    models = ["gemma-s", "qwen-l", "api"]
    return {
        # the Snakefile checks every study's inputs when it parses, even those not asked for
        "data": {"personalens": {"local": str(PERSONALENS_ARCHIVE)}},
        "persistence": {
            "ratings_table": str(ratings),
            "statistics": {"resamples": 200, "bar_resamples": 200, "seed": 42},
            "sources": {
                name: {"local": str(SHARED_DATA / folder)}
                for name, folder in (
                    ("persistent_personas", "persistent-personas"),
                    ("incharacter", "incharacter"),
                    ("ifbench", "ifbench"),
                    ("xstest", "xstest"),
                )
            },
        },
        "models": {m: syn.REGISTRY[m] for m in models},
    }


def test_tables_and_figures_from_a_given_ratings_table(tmp_path: Path, shared_data: Path) -> None:
    truth = syn.Truth(fidelity_rounds=[1, 2, 3, 4], checkpoints=[0, 4], ifbench_items=3)
    ratings = syn.ratings_table(
        truth, seed=1, models=["gemma-s", "qwen-l", "api"], roles=["Gaston", "HAL 9000"]
    )
    ratings.to_csv(tmp_path / "published_ratings.csv", index=False)
    cfg = write_config(tmp_path / "config.yaml", config(tmp_path / "published_ratings.csv"))

    proc = run_snakemake(tmp_path, "--cores", "2", *TARGETS, configfile=cfg)
    assert "persistence_ratings" not in proc.stderr  # the given table replaces part A's rules
    for target in TARGETS:
        assert (tmp_path / target).stat().st_size > 0, target
    for name in ("length_cost_regression", "personalization_cost_regression"):
        table = pd.read_csv(tmp_path / paths.persistence_table(name, "csv"))
        assert list(table.columns) == REGRESSION_COLUMNS
        assert "fidelity_style" in set(table["dataset"])
        assert "\\begin{tabular}" in (tmp_path / paths.persistence_table(name, "tex")).read_text()
    # three size classes: the size effect on fidelity style is estimable
    length = pd.read_csv(tmp_path / paths.persistence_table("length_cost_regression", "csv"))
    assert length.set_index("dataset").loc["fidelity_style"].notna().all()
    caption = (tmp_path / paths.persistence_table("length_cost_regression", "tex")).read_text()
    assert "Absent datasets: fidelity\\_knowledge" in caption

    # one figure alone: only its own job reruns
    figure = tmp_path / paths.persistence_figure("ifbench_accuracy", "pdf")
    figure.unlink()
    proc = run_snakemake(
        tmp_path,
        "--cores",
        "1",
        paths.persistence_figure("ifbench_accuracy", "pdf"),
        configfile=cfg,
    )
    assert figure.is_file()
    assert re.search(r"persistence_figure\s+1\n", proc.stdout + proc.stderr)
    assert re.search(r"total\s+1\n", proc.stdout + proc.stderr)
