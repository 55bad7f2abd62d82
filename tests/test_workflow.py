"""The real workflow on the real local model, as `make run` runs it: the embedded default
(the session's shared run, conftest.default_run) — then the properties a user relies on: a rerun
does nothing, and one deleted figure is rebuilt alone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import DEFAULT_RUN_CONFIG, REPO, copy_run, run_snakemake
from personascope import paths
from personascope.dialogue import END_TERMINATED, END_TURN_CAP
from personascope.judging import STATUS_FAILED, STATUSES

pytestmark = pytest.mark.workflow

TABLE_CSV = paths.personalens_result_table("main_results", "csv")
TABLE_TEX = paths.personalens_result_table("main_results", "tex")
FIGURE_PDF = paths.personalens_figure("main_results", "pdf")
FIGURE_PNG = paths.personalens_figure("main_results", "png")
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_dialogues_follow_the_protocol(default_run: Path) -> None:
    pl = DEFAULT["personalens"]
    files = sorted((default_run / "results/personalens/dialogues").rglob("*.parquet"))
    assert [f.relative_to(default_run).as_posix() for f in files] == sorted(
        paths.PERSONALENS_DIALOGUES.format(model=m, setting=s, shard=k)
        for m in pl["assistants"]
        for s in pl["settings"]
        for k in range(pl["shards"])
    )
    for file in files:
        table = pq.read_table(file)
        assert {"dialogue_id", "end_reason", "turns", "setting"} <= set(table.schema.names)
        for d in table.to_pylist():
            speakers = [t["speaker"] for t in d["turns"]]
            assert speakers[0] == "user"
            # upstream's loop: a TERMINATE turn is answered, a capped user turn is not
            if d["end_reason"] == END_TURN_CAP:
                assert speakers == ["user", "assistant"] * (len(speakers) // 2) + ["user"]
                assert d["user_turns"] == pl["turn_caps"][d["kind"]] + 1
            else:
                assert d["end_reason"] == END_TERMINATED
                assert speakers == ["user", "assistant"] * (len(speakers) // 2)
                assert 1 <= d["user_turns"] <= pl["turn_caps"][d["kind"]] + 1
            assert all(t["text"].strip() for t in d["turns"])  # the real model said something
            assert all(t["completion_tokens"] > 0 for t in d["turns"])


def test_judgments_keep_raw_text_and_never_score_a_failure(default_run: Path) -> None:
    files = list((default_run / "results/personalens/judge").rglob("*.parquet"))
    judgments = pd.concat([pd.read_parquet(f) for f in files])
    assert {"task_completion", "personalization"} <= set(judgments["dimension"])
    assert set(judgments["status"]) <= set(STATUSES)
    assert judgments["raw_text"].str.len().gt(0).all()
    failed = judgments["status"] == STATUS_FAILED
    assert judgments.loc[failed, "value"].isna().all()
    assert judgments.loc[~failed, "value"].notna().all()


def test_every_model_job_made_real_calls(default_run: Path) -> None:
    usage = sorted((default_run / "results").rglob("*usage.json"))
    assert len(usage) >= 8
    for path in usage:
        models = json.loads(path.read_text(encoding="utf-8"))
        # a job that opens no model (PersonaGym's questions in benchmark mode) has no entry; the
        # default's second PersonaGym judge is the first one's model, so its requests are hits
        assert not models or sum(m["calls"] + m["cache_hits"] for m in models) > 0, path
    assert sum(m["calls"] for p in usage for m in json.loads(p.read_text("utf-8"))) > 0


def test_table_and_figure(default_run: Path) -> None:
    table = pd.read_csv(default_run / TABLE_CSV)
    assert set(table["setting"]) == set(DEFAULT["personalens"]["settings"])
    assert {"tcr", "tcr_ci_low", "tcr_ci_high", "p", "p_fail", "tcr_fail"} <= set(table.columns)
    tex = (default_run / TABLE_TEX).read_text()
    assert "\\begin{tabular}" in tex and "smollm2-135m" in tex
    assert (default_run / FIGURE_PDF).read_bytes()[:5] == b"%PDF-"
    assert (default_run / FIGURE_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_does_nothing(default_run: Path) -> None:
    proc = run_snakemake(
        default_run, "-n", "--cores", "2", configfile=default_run / DEFAULT_RUN_CONFIG
    )
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_a_deleted_figure_is_rebuilt_alone(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    config = run / DEFAULT_RUN_CONFIG
    others = [run / p for p in (TABLE_CSV, TABLE_TEX, FIGURE_PNG)]
    others += list((run / "results").rglob("*.parquet"))
    before = {p: p.stat().st_mtime_ns for p in others}
    (run / FIGURE_PDF).unlink()
    time.sleep(0.01)
    dry = run_snakemake(run, "-n", "--cores", "2", FIGURE_PDF, configfile=config)
    jobs = [line.split()[1] for line in dry.stdout.splitlines() if line.startswith("rule ")]
    assert jobs == ["personalens_figure:"]
    run_snakemake(run, "--cores", "2", FIGURE_PDF, configfile=config)
    assert (run / FIGURE_PDF).read_bytes()[:5] == b"%PDF-"
    # The PNG is the rule's other output: rebuilt with it; nothing upstream was touched.
    upstream = [p for p in others if p != run / FIGURE_PNG]
    assert all(p.stat().st_mtime_ns == before[p] for p in upstream)


def test_lint_is_clean(tmp_path: Path, shared_data: Path) -> None:
    proc = run_snakemake(tmp_path, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr
