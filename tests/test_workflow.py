"""The real workflow on the real local model: data -> dialogues -> judge -> table -> figure.

One tiny PersonaLens slice (one user, one SD task, one setting, one round), run by `snakemake`
exactly as a user runs it; then the properties a user relies on: a rerun does nothing, and one
deleted figure is rebuilt alone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import run_snakemake, tiny_personalens_config, write_config
from personascope import paths
from personascope.dialogue import END_TERMINATED, END_TURN_CAP
from personascope.judging import STATUS_FAILED, STATUSES

pytestmark = pytest.mark.workflow

TABLE_CSV = paths.personalens_result_table("main_results", "csv")
TABLE_TEX = paths.personalens_result_table("main_results", "tex")
FIGURE_PDF = paths.personalens_figure("main_results", "pdf")
FIGURE_PNG = paths.personalens_figure("main_results", "png")
TARGETS = [TABLE_CSV, TABLE_TEX, FIGURE_PDF, FIGURE_PNG]


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    workdir = tmp_path_factory.mktemp("slice")
    overrides = tiny_personalens_config()
    overrides["studies"] = ["personalens"]
    overrides["personalens"]["judge_dimensions"] = ["task_completion", "personalization"]
    config = write_config(workdir / "tiny.yaml", overrides)
    run_snakemake(workdir, "--cores", "2", *TARGETS, configfile=config)
    return workdir


def test_dialogues_follow_the_protocol(slice_run: Path) -> None:
    files = sorted((slice_run / "results/personalens/dialogues").rglob("*.parquet"))
    assert [f.relative_to(slice_run).as_posix() for f in files] == [
        paths.PERSONALENS_DIALOGUES.format(model="smollm2-135m", setting="base+all", shard=0)
    ]
    table = pq.read_table(files[0])
    assert {"dialogue_id", "end_reason", "turns", "setting"} <= set(table.schema.names)
    dialogues = table.to_pandas()
    assert len(dialogues) == 1
    d = dialogues.iloc[0]
    speakers = [t["speaker"] for t in d["turns"]]
    assert speakers[0] == "user" and speakers == ["user", "assistant"] * (len(speakers) // 2)
    assert d["end_reason"] in {END_TERMINATED, END_TURN_CAP}
    assert d["user_turns"] == 1  # the cap of the tiny config
    assert all(t["text"].strip() for t in d["turns"])  # the real model said something
    assert all(t["completion_tokens"] > 0 for t in d["turns"])


def test_judgments_keep_raw_text_and_never_score_a_failure(slice_run: Path) -> None:
    files = list((slice_run / "results/personalens/judge").rglob("*.parquet"))
    judgments = pd.concat([pd.read_parquet(f) for f in files])
    assert set(judgments["dimension"]) == {"task_completion", "personalization"}
    assert set(judgments["status"]) <= set(STATUSES)
    assert judgments["raw_text"].str.len().gt(0).all()
    failed = judgments["status"] == STATUS_FAILED
    assert judgments.loc[failed, "value"].isna().all()
    assert judgments.loc[~failed, "value"].notna().all()
    pers = judgments[(judgments["dimension"] == "personalization") & ~failed]["value"]
    assert pers.between(1, 4).all()


def test_table_and_figure(slice_run: Path) -> None:
    table = pd.read_csv(slice_run / TABLE_CSV)
    assert list(
        table[["assistant_model", "setting", "kind"]].itertuples(index=False, name=None)
    ) == [("smollm2-135m", "base+all", "SD")]
    assert {"tcr", "tcr_ci_low", "tcr_ci_high", "p", "p_fail", "tcr_fail"} <= set(table.columns)
    tex = (slice_run / TABLE_TEX).read_text()
    assert "\\begin{tabular}" in tex and "smollm2-135m" in tex
    assert (slice_run / FIGURE_PDF).read_bytes()[:5] == b"%PDF-"
    assert (slice_run / FIGURE_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_does_nothing(slice_run: Path) -> None:
    proc = run_snakemake(slice_run, "--cores", "2", *TARGETS, configfile=slice_run / "tiny.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_a_deleted_figure_is_rebuilt_alone(slice_run: Path) -> None:
    others = [slice_run / p for p in (TABLE_CSV, TABLE_TEX, FIGURE_PNG)]
    others += list((slice_run / "results/personalens").rglob("*.parquet"))
    before = {p: p.stat().st_mtime_ns for p in others}
    (slice_run / FIGURE_PDF).unlink()
    time.sleep(0.01)
    dry = run_snakemake(
        slice_run, "-n", "--cores", "2", FIGURE_PDF, configfile=slice_run / "tiny.yaml"
    )
    jobs = [line.split()[1] for line in dry.stdout.splitlines() if line.startswith("rule ")]
    assert jobs == ["personalens_figure:"]
    run_snakemake(slice_run, "--cores", "2", FIGURE_PDF, configfile=slice_run / "tiny.yaml")
    assert (slice_run / FIGURE_PDF).read_bytes()[:5] == b"%PDF-"
    # The PNG is the rule's other output: rebuilt with it; nothing upstream was touched.
    upstream = [p for p in others if p != slice_run / FIGURE_PNG]
    assert all(p.stat().st_mtime_ns == before[p] for p in upstream)


def test_lint_is_clean(tmp_path: Path, shared_data: Path) -> None:
    config = write_config(tmp_path / "tiny.yaml", tiny_personalens_config())
    proc = run_snakemake(tmp_path, "--lint", configfile=config, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr
    assert os.path.exists(tmp_path)
