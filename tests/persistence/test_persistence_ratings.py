"""The ratings table: native scales, failures kept out and reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
from personascope.io import read_parquet, write_parquet
from personascope.persistence import ratings
from personascope.persistence.ifbench import SCORE_SCHEMA
from personascope.persistence.judge import JUDGMENT_SCHEMA
from step_support import call_step


def judgment(dataset: str, value: float | None, status: str = "ok", **kw) -> dict:
    base = {
        "model": "m",
        "judge_model": "j",
        "role": "Gaston",
        "dialogue_type": "goal_oriented",
        "order": "original",
        "round": 4,
        "dataset": dataset,
        "item": "1",
        "item_index": 1,
        "trait": None,
        "label": None,
        "prefix_tokens": 321,
        "truncated": False,
        "raw_text": "**Result:** x",
        "reask_text": None,
        "value": value,
        "status": status,
        "error": None,
    }
    return {**base, **kw}


def test_ratings_from_judgments_and_ifbench(tmp_path: Path) -> None:
    judged = tmp_path / "judge.parquet"
    write_parquet(
        pa.Table.from_pylist(
            [
                judgment("bfi", 4.0, trait="Extraversion"),
                judgment("xstest", 1.0, label="unsafe", item="9"),
                judgment("xstest", 0.0, label="safe", item="3"),
                judgment("rolebench_general", 0.5, item="Gaston:1"),
                judgment("bfi", None, status="parse_failure", item="2", raw_text="garbled"),
            ],
            schema=JUDGMENT_SCHEMA,
        ),
        judged,
    )
    scored = tmp_path / "ifbench.parquet"
    base = {
        "model": "m",
        "role": "empty",
        "dialogue_type": "persona_directed",
        "round": 0,
        "prefix_tokens": 0,
        "prompt": "p",
        "response": "r",
        "instruction_id_list": ["a", "b"],
    }
    write_parquet(
        pa.Table.from_pylist(
            [
                {
                    **base,
                    "item": "10",
                    "strict_follow_all": False,
                    "strict_follow_list": [True, False],
                    "loose_follow_all": True,
                    "loose_follow_list": [True, True],
                    "unverifiable": [],
                },
                {
                    **base,
                    "item": "11",
                    "strict_follow_all": None,
                    "strict_follow_list": [True, None],
                    "loose_follow_all": None,
                    "loose_follow_list": [True, None],
                    "unverifiable": ["b"],
                },
                {  # one check failed, the other cannot be verified: excluded all the same
                    **base,
                    "item": "12",
                    "strict_follow_all": False,
                    "strict_follow_list": [False, None],
                    "loose_follow_all": False,
                    "loose_follow_list": [False, None],
                    "unverifiable": ["b"],
                },
            ],
            schema=SCORE_SCHEMA,
        ),
        scored,
    )
    out = {k: tmp_path / f"{k}.x" for k in ("ratings", "failures", "report")}
    call_step(ratings.collect, {"judgments": judged, "ifbench": scored}, out)
    table = read_parquet(out["ratings"])
    assert list(table.columns) == ratings.COLUMNS
    got = {(r.dataset, r.item): r.rating for r in table.itertuples()}
    assert got == {
        ("bfi", "1"): 4.0,
        ("xstest_unsafe", "9"): 1.0,
        ("xstest_safe", "3"): 0.0,
        ("rolebench_general", "Gaston:1"): 0.5,
        ("ifbench_strict", "10"): 0.0,
        ("ifbench_loose", "10"): 1.0,
    }
    assert table[table.dataset == "bfi"].trait.tolist() == ["Extraversion"]
    assert pd.api.types.is_integer_dtype(table["round"])
    assert table.set_index("dataset").loc["bfi", "prefix_tokens"] == 321
    failures = read_parquet(out["failures"])
    assert sorted(failures.status) == ["parse_failure"] + ["unverifiable"] * 4
    assert "garbled" in failures.raw_text.tolist()
    import json

    report = json.loads(out["report"].read_text())
    assert report["failed"]["bfi"] == {"parse_failure": 1}
    assert report["failed"]["ifbench_strict"] == {"unverifiable": 2}
    assert report["ifbench_excluded_items"] == 2
    assert report["total_rated"] == 6
