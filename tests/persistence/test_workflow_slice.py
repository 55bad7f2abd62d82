"""Persistent Personas through the real workflow: local model, Snakemake, Parquet.

The embedded default (the session's shared run) is checked stage by stage; RoleBench, which the
default cannot reach offline, runs on its own small slice from a fixture written here (Gaston +
the baseline, one round, checkpoint 0, one item per RoleBench task).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from personascope.io import read_parquet

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path):  # by path: a plain import may find another folder's module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _load("pp_root_conftest", HERE.parent / "conftest.py")
SHARED_DATA, absolute_local_paths, run_snakemake, write_config = (
    _root.SHARED_DATA,
    _root.absolute_local_paths,
    _root.run_snakemake,
    _root.write_config,
)
write_rolebench = _load("pp_rolebench_fixture", HERE / "rolebench_fixture.py").write_rolebench

pytestmark = pytest.mark.workflow

DEFAULT = yaml.safe_load((HERE.parents[1] / "config" / "config.yaml").read_text(encoding="utf-8"))[
    "persistence"
]
ROUNDS = DEFAULT["rounds"]
TYPES = DEFAULT["dialogue_types"]


def slice_config(rolebench: Path) -> dict:
    local = {
        "persistent_personas": "persistent-personas",
        "incharacter": "incharacter",
        "ifbench": "ifbench",
        "xstest": "xstest",
    }
    return {
        **absolute_local_paths(),
        "cache_dir": "cache",
        "persistence": {
            "models": ["smollm2-135m"],
            "judge": "smollm2-135m",
            "roles": ["Gaston", "empty"],
            "dialogue_types": ["persona_directed"],
            "orders": ["original"],
            "rounds": 1,
            "checkpoints": [0],
            "datasets": ["rolebench_role_specific", "rolebench_general"],
            "items_per_dataset": 1,
            "sampling": {
                "dialogue": {"temperature": 0.0, "top_p": 0.95, "max_tokens": 16},
                "conditioned": {"temperature": 0.0, "top_p": 0.95, "max_tokens": 16},
                "judge": {"temperature": 0.0, "max_tokens": 24},
            },
            "sources": {
                **{k: {"local": str(SHARED_DATA / v)} for k, v in local.items()},
                "rolebench": {"local": str(rolebench), "manifest": str(rolebench / "sha256")},
            },
        },
    }


def test_rolebench_slice_is_judged_into_the_ratings_table(
    tmp_path: Path, shared_data: Path
) -> None:
    rolebench = tmp_path / "rolebench"
    write_rolebench(rolebench)
    cfg = write_config(tmp_path / "cfg.yaml", slice_config(rolebench))
    run_snakemake(
        tmp_path, "--cores", "2", "results/persistence/ratings/ratings.parquet", configfile=cfg
    )
    res = tmp_path / "results" / "persistence"
    items = read_parquet(res / "data" / "benchmark_items.parquet")
    assert set(items.dataset) == {"rolebench_role_specific", "rolebench_general"}
    responses = read_parquet(res / "conditioned" / "smollm2-135m" / "responses.parquet")
    assert set(responses.dataset) == set(items.dataset)
    assert responses.reference.notna().all()  # every RoleBench item has its reference answer
    table = read_parquet(res / "ratings" / "ratings.parquet")
    failures = read_parquet(res / "ratings" / "failures.parquet")
    rolebench = table[table.dataset.str.startswith("rolebench")]
    failed = failures[failures.dataset.str.startswith("rolebench")]
    assert len(rolebench) + len(failed) == len(responses)  # judged or a reported failure
    assert rolebench.rating.isin([0.0, 0.5, 1.0]).all()


def test_default_run_builds_the_ratings_table(default_run: Path) -> None:
    res = default_run / "results" / "persistence"

    dialogues = read_parquet(res / "dialogues" / "smollm2-135m.parquet")
    assert len(dialogues) == 2 * len(TYPES) * ROUNDS
    assert set(dialogues.end_reason) == {"script_exhausted"}
    first = dialogues[(dialogues.dialogue_type == "persona_directed") & (dialogues["round"] == 1)]
    users = dict(zip(first.role, first.user, strict=True))
    assert users["Gaston"].startswith("Welcome, Gaston!")
    assert users["empty"].startswith("Welcome, smollm2-135m!")  # the baseline: its own name
    assert (dialogues.groupby(["role", "dialogue_type"]).prefix_tokens.diff().dropna() > 0).all()

    responses = read_parquet(res / "conditioned" / "smollm2-135m" / "responses.parquet")
    overflow = read_parquet(res / "conditioned" / "smollm2-135m" / "context_overflow.parquet")
    items = read_parquet(res / "data" / "benchmark_items.parquet")
    per_role = {
        role: int((items.role.isna() | (items.role == role)).sum()) for role in ("Gaston", "empty")
    }
    assert set(items.dataset) == {"bfi", "ifbench", "xstest"}  # RoleBench: offline, not here
    assert len(responses) + len(overflow) == sum(per_role.values()) * 2 * len(TYPES)
    at_k = responses[responses["round"] == ROUNDS].merge(
        dialogues[dialogues["round"] == ROUNDS][["role", "dialogue_type", "prefix_tokens"]],
        on=["role", "dialogue_type"],
        suffixes=("", "_dialogue"),
    )
    assert (at_k.prefix_tokens == at_k.prefix_tokens_dialogue).all()
    assert (responses[responses["round"] == 0].prefix_tokens == 0).all()

    table = read_parquet(res / "ratings" / "ratings.parquet")
    failures = read_parquet(res / "ratings" / "failures.parquet")
    assert list(table.columns) == [
        "model",
        "role",
        "judged_as",
        "dialogue_type",
        "order",
        "round",
        "dataset",
        "item",
        "trait",
        "rating",
        "prefix_tokens",
    ]
    # the baseline is judged as Gaston (the one persona): one judgment per answer here too
    assert set(table[table.role == "empty"].judged_as.dropna()) <= {"Gaston"}
    # every judged or verified item is either a rating or a reported failure, never lost
    judged = {
        "fidelity": len(dialogues) * 3,
        "conditioned": int(
            responses.dataset.isin(
                ["bfi", "xstest", "rolebench_role_specific", "rolebench_general"]
            ).sum()
        ),
        "ifbench": int((responses.dataset == "ifbench").sum()) * 2,
    }
    assert len(table) + len(failures) == sum(judged.values())
    fidelity = table[table.dataset.str.startswith("fidelity_")]
    assert fidelity.rating.between(1, 5).all()
    assert table[table.dataset.isin(["bfi"])].rating.between(1, 5).all()
    binary = table[table.dataset.str.startswith(("ifbench", "xstest", "rolebench"))]
    assert binary.rating.isin([0.0, 0.5, 1.0]).all()
    ifb = table[table.dataset.str.startswith("ifbench_")]
    ifb_failed = failures[failures.dataset.str.startswith("ifbench_")]
    assert len(ifb) + len(ifb_failed) == judged["ifbench"]
    report = json.loads((res / "ratings" / "failures.json").read_text())
    assert report["total_rated"] == len(table) and report["total_failed"] == len(failures)


def test_default_run_validates_its_judge_against_the_humans(default_run: Path) -> None:
    import pandas as pd

    res = default_run / "results" / "persistence"
    table = pd.read_csv(res / "tables" / "judge_human_agreement.csv")
    assert list(table.task) == [
        "fidelity", "bfi", "xstest", "rolebench_general", "rolebench_role_specific"
    ]  # fmt: skip
    # the embedded default judges 2 validation items per task: each is a verdict or a failure
    assert ((table.n + table.parse_failures) == 2).all()
    sheet = json.loads((res / "protocol.json").read_text(encoding="utf-8"))
    assert sheet["roles"] == ["Gaston", "empty"] and sheet["published_quirks"] is False
    assert (res / "protocol_examples.jsonl").stat().st_size > 0
