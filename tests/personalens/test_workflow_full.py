"""The whole PersonaLens study on a tiny real slice: the local model (SmolLM2 via llama.cpp),
one user, one SD and one MD task, one setting, one round — every table and figure builds.

SmolLM2-135M rarely follows the judge formats, so most judgments are recorded parse failures:
the test checks that they are counted and that nothing is scored from them, not the scores.
"""

from __future__ import annotations

import json
import math
import shutil
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import (
    PERSONALENS_ARCHIVE,
    job_stats,
    run_snakemake,
    tiny_personalens_config,
    write_config,
)

pytestmark = pytest.mark.workflow

TABLES = [
    "domains",
    "demographics",
    "preferences",
    "main_results",
    "ablation",
    "user_agent",
    "parse_failures",
    "domain_results",
    "turn_level",
    "dialogue_stats",
    "lexical_diversity",
]
FIGURES = ["main_results", "ablation", "demographics", "domain_results", "turn_level"]


def full_config() -> dict:
    config = tiny_personalens_config()
    config["studies"] = ["personalens"]
    config["personalens"].update(
        {
            "users": ["user0"],
            "kinds": ["SD", "MD"],
            "task_ids": ["SD-Alarm-task-1", "MD-task-3"],
            "tasks_per_user": None,
            "settings": ["base+d"],
            "turn_caps": {"SD": 1, "MD": 1},
            "sampling": {
                "user": {"temperature": 0.5, "max_tokens": 24},
                "assistant": {"temperature": 0.0, "max_tokens": 32},
                "judge": {"temperature": 0.0, "max_tokens": 24},
            },
        }
    )
    # one llama.cpp thread: on a busy 2-core machine its spinning thread barrier collapses
    config["models"] = {"smollm2-135m": {"options": {"n_threads": 1}}}
    return config


def release_counts() -> tuple[int, int, int]:
    """Independently of the package: SD templates, MD templates and user-task scenarios."""
    sd = md = scenarios = 0
    with tarfile.open(PERSONALENS_ARCHIVE, "r:gz") as tar:
        for member in tar:
            name = member.name.split("/", 1)[-1]
            if not member.isfile():
                continue
            if name.startswith("data/task/") and name.endswith(".jsonl"):
                lines = tar.extractfile(member).read().decode().splitlines()  # type: ignore[union-attr]
                n = sum(1 for line in lines if line.strip())
                if "Multi-Domain" in name:
                    md += n
                else:
                    sd += n
            elif name.startswith("data/profile/") and name.endswith(
                ("tasks.json", "tasks_md.json")
            ):
                scenarios += len(json.loads(tar.extractfile(member).read()))  # type: ignore[union-attr]
    return sd, md, scenarios


def test_every_table_and_figure_of_the_study(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", full_config())
    run_snakemake(tmp_path, "--cores", "2", configfile=config)
    results = tmp_path / "results" / "personalens"
    for name in TABLES:
        assert (results / "tables" / f"{name}.csv").stat().st_size > 0, name
        assert (results / "tables" / f"{name}.tex").read_text().startswith(r"\begin{table}")
    for name in FIGURES:
        assert (results / "figures" / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
        assert (results / "figures" / f"{name}.png").stat().st_size > 0, name

    # dataset statistics describe the whole release, not the one-user sample
    domains = pd.read_csv(results / "tables" / "domains.csv")
    assert list(domains.columns) == ["domain", "tasks", "dialogues"]
    totals = domains.set_index("domain")
    sd, md, scenarios = release_counts()
    assert totals.loc["SD total", "tasks"] == sd
    assert totals.loc["MD total", "tasks"] == md
    assert totals.loc["total", "dialogues"] == scenarios
    assert list(pd.read_csv(results / "tables" / "demographics.csv").columns) == [
        "attribute",
        "value",
        "count",
        "percent",
    ]
    prefs = pd.read_csv(results / "tables" / "preferences.csv")
    assert list(prefs.columns) == [
        "domain",
        "preference",
        "categorical",
        "possible",
        "generated",
        "evenness",
    ]

    # dialogues: SD and MD, end reason recorded, the cap respected
    dialogues = pd.read_parquet(
        results / "dialogues" / "smollm2-135m" / "base+d" / "shard-0.parquet"
    )
    assert sorted(dialogues["kind"]) == ["MD", "SD"]
    assert set(dialogues["end_reason"]) <= {"terminated", "turn_cap"}
    # turn cap 1: the opening query and one exchange, the capped user turn left unanswered
    assert (dialogues["user_turns"] <= 2).all()
    capped = dialogues[dialogues["end_reason"] == "turn_cap"]
    assert all(list(t)[-1]["speaker"] == "user" for t in capped["turns"])

    # judgments: every dimension present; failures counted, never scored
    judgments = pd.read_parquet(
        results / "judge" / "smollm2-135m" / "smollm2-135m" / "base+d" / "shard-0.parquet"
    )
    assert set(judgments["dimension"]) == {
        "task_completion",
        "personalization",
        "naturalness_user",
        "coherence_user",
        "naturalness_assistant",
        "coherence_assistant",
        "personalization_turn",
    }
    failed = judgments["status"] == "parse_failure"
    assert judgments.loc[failed, "value"].isna().all()
    report = pd.read_csv(results / "tables" / "parse_failures.csv")
    assert report["items"].sum() == len(judgments)
    assert report["parse_failure"].sum() == failed.sum()
    main = pd.read_csv(results / "tables" / "main_results.csv")
    for col in ("tcr", "p", "n", "c"):
        for row in main.itertuples():
            assert (getattr(row, f"{col}_n") == 0) == math.isnan(getattr(row, col))

    # the ablation keeps its shape: six settings x SD/MD, only base+d present
    ablation = pd.read_csv(results / "tables" / "ablation.csv")
    assert len(ablation) == 12
    assert set(ablation.loc[ablation["present"], "setting"]) == {"base+d"}

    # one figure rebuilds alone: only its rule runs
    for ext in ("pdf", "png"):
        (results / "figures" / f"turn_level.{ext}").unlink()
    proc = run_snakemake(
        tmp_path, "--cores", "1", "results/personalens/figures/turn_level.pdf", configfile=config
    )
    assert job_stats(proc.stdout + proc.stderr) == {"personalens_figure": 1, "total": 1}
    assert (results / "figures" / "turn_level.png").is_file()


def test_human_agreement_rule_runs_when_configured(tmp_path: Path) -> None:
    """The agreement table is a target only when config names a ratings CSV."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "dialogue_id,annotator,metric,rating\n"
        "smollm2-135m|base+d|user0/SD-Alarm-task-1,A,coherence_user,3\n"
        "smollm2-135m|base+d|user0/SD-Alarm-task-1,B,coherence_user,4\n",
        encoding="utf-8",
    )
    base = full_config()
    plain = write_config(tmp_path / "plain.yaml", base)
    dry = run_snakemake(tmp_path, "-n", configfile=plain)
    assert "personalens_agreement" not in dry.stdout + dry.stderr
    base["personalens"]["human_ratings"] = str(ratings)
    with_ratings = write_config(tmp_path / "ratings.yaml", base)
    dry = run_snakemake(tmp_path, "-n", configfile=with_ratings)
    assert job_stats(dry.stdout + dry.stderr).get("personalens_agreement") == 1


def test_regeneration_on_the_local_model(tmp_path: Path) -> None:
    """Regenerate a tiny slice (user0's Alarm preferences and situations); every item is either
    a parsed new value or a recorded failure that kept the release value."""
    config = full_config()
    config["personalens"]["regenerate"] = {
        "enabled": True,
        "users": ["user0"],
        "domains": ["Alarm"],
        "parts": ["preferences", "situations"],
        "sampling": {"temperature": 0.0, "max_tokens": 48},
    }
    path = write_config(tmp_path / "config.yaml", config)
    dry = run_snakemake(tmp_path, "-n", "results/personalens/data/sample.parquet", configfile=path)
    assert job_stats(dry.stdout + dry.stderr).get("personalens_regenerate") == 1
    run_snakemake(
        tmp_path,
        "--cores",
        "2",
        "results/personalens/data/regenerated/scenarios.parquet",
        configfile=path,
    )
    data = tmp_path / "results" / "personalens" / "data"
    log = pd.read_parquet(data / "regenerated" / "generation_log.parquet")
    release = pd.read_parquet(data / "affinities.parquet")
    regenerated = pd.read_parquet(data / "regenerated" / "affinities.parquet")
    alarm0 = (release["user_id"] == "user0") & (release["domain"] == "Alarm")
    assert (log["part"] == "preferences").sum() == alarm0.sum()
    scenarios = pd.read_parquet(data / "scenarios.parquet")
    user0_alarm = scenarios[
        (scenarios["user_id"] == "user0") & scenarios["domains"].map(lambda d: set(d) <= {"Alarm"})
    ]
    assert (log["part"] == "situations").sum() == len(user0_alarm)
    # rows outside the slice are the release's
    others = ~alarm0
    assert [list(v) for v in regenerated.loc[others, "values"]] == [
        list(v) for v in release.loc[others, "values"]
    ]
    # failures keep the release value; parsed preferences replaced it with the parsed value
    for row in log[log["part"] == "preferences"].itertuples():
        user, domain, pref = row.item_id.split("/", 2)
        mask = (
            (regenerated["user_id"] == user)
            & (regenerated["domain"] == domain)
            & (regenerated["preference"] == pref)
        )
        new = list(regenerated.loc[mask, "values"].iloc[0])
        old = list(release.loc[mask, "values"].iloc[0])
        if row.status == "parse_failure":
            assert new == old
            assert pd.isna(row.value)
        else:
            assert str(new) == row.value
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
