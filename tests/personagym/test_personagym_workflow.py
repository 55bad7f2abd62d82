"""The embedded default's PersonaGym slice (the session's shared run of the default,
conftest.default_run), on the real local model: every stage, both judges, PersonaScore, tables
with the published runs, figure; then the upstream-quirks mode on the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import DEFAULT_RUN_CONFIG, copy_run, job_stats, run_snakemake, write_config
from personascope import paths

pytestmark = pytest.mark.workflow

TARGETS = [
    paths.PERSONAGYM_PROTOCOL_JSON,
    paths.PERSONAGYM_JUDGE_REPORT.format(ext="json"),
    *(paths.personagym_table(name) for name in paths.PERSONAGYM_TABLES),
    paths.personagym_figure("score_vs_capability", "png"),
]


MODEL = "smollm2-135m"


def test_every_stage_ran_on_both_judges(default_run: Path) -> None:
    workdir = default_run
    for target in TARGETS:
        assert (workdir / target).is_file(), target
    answers = pd.read_parquet(workdir / paths.PERSONAGYM_ANSWERS.format(model=MODEL))
    assert len(answers) == 10 and set(answers["status"]) == {"ok"}
    for slot in paths.PERSONAGYM_JUDGE_SLOTS:
        grading = pd.read_parquet(workdir / paths.PERSONAGYM_GRADING.format(slot=slot, model=MODEL))
        assert len(grading) == 10 and grading.groupby("task")["group"].nunique().eq(1).all()
        ok = grading["status"].str.startswith("ok")  # ok, ok_after_reask, ok_constrained
        # a grade is 1..5 exactly when it parsed; a failure is never a score
        assert grading.loc[ok, "grade"].between(1, 5).all()
        assert grading.loc[~ok, "grade"].isna().all()


def test_protocol_sheet_names_texts_models_and_counts(default_run: Path) -> None:
    workdir = default_run
    sheet = json.loads((workdir / paths.PERSONAGYM_PROTOCOL_JSON).read_text(encoding="utf-8"))
    for key in ("texts", "sampling", "models", "judge_mode", "published_quirks", "personas"):
        assert key in sheet
    assert set(sheet["sampling"]) >= {"answer", "examples", "judge"}
    assert sheet["personas"] == 1 and set(sheet["questions"].values()) == {2}
    assert sheet["models"]["paper"]["judge1"] == "gpt-4o-2024-05-13"
    assert all(len(t["sha256"]) == 64 for t in sheet["texts"])
    lines = (workdir / paths.PERSONAGYM_PROTOCOL_EXAMPLES).read_text(encoding="utf-8")
    kinds = {(r["kind"], r["mode"]) for r in map(json.loads, lines.splitlines())}
    assert {
        ("examples", "principled"),
        ("grading", "published_quirks"),
        ("answer", "both"),
    } <= kinds


def test_tables_put_the_published_runs_beside_ours(default_run: Path) -> None:
    workdir = default_run
    table = pd.read_csv(workdir / paths.personagym_table("published_comparison"))
    assert (table["source"] == "published").sum() == 6
    assert (table["source"] == "ours").sum() == 1
    haiku = table[table["published_run"] == "20240710_claude_3_haiku"].iloc[0]
    assert haiku["PersonaScore"] == pytest.approx(3.64)
    assert haiku["mean_of_task_scores"] == pytest.approx(3.84)
    improvement = pd.read_csv(workdir / paths.personagym_table("relative_improvement"))
    assert len(improvement) == 7 * 6
    failures = pd.read_csv(workdir / paths.personagym_table("parse_failures"))
    assert failures["items"].sum() == 20
    assert (workdir / paths.personagym_figure("score_vs_capability", "png")).stat().st_size > 0


def test_quirks_mode_regrades_the_same_answers(default_run: Path, tmp_path: Path) -> None:
    workdir = copy_run(default_run, tmp_path / "run")
    answers = workdir / paths.PERSONAGYM_ANSWERS.format(model=MODEL)
    before = pd.read_parquet(answers)
    # the shared run's own config (its inputs), PersonaGym alone, with upstream's quirks
    quirks = yaml.safe_load((workdir / DEFAULT_RUN_CONFIG).read_text(encoding="utf-8"))
    quirks["studies"] = ["personagym"]
    quirks.setdefault("personagym", {})["published_quirks"] = True
    config = write_config(workdir / "quirks.yaml", quirks)
    proc = run_snakemake(workdir, "--cores", "2", *TARGETS, configfile=config)
    stats = job_stats(proc.stdout + proc.stderr)
    assert stats["personagym_grading"] == 2 and stats["personagym_examples"] == 1
    # the answers come from the call cache: the same texts, no new model call
    pd.testing.assert_series_equal(pd.read_parquet(answers)["answer"], before["answer"])
    usage = json.loads(answers.with_suffix(".usage.json").read_text(encoding="utf-8"))
    assert all(u["calls"] == 0 and u["cache_hits"] == 10 for u in usage)
    ours = pd.read_csv(workdir / paths.personagym_table("persona_score"))
    assert list(ours["mode"]) == ["published_quirks"]
