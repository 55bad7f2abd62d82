"""The package steps chained on Parquet files, with a test-double engine in place of the model
(the real local model runs in test_workflow_slice.py): conditioned -> judge -> ratings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from personascope.engines import CachedEngine
from personascope.io import read_parquet, write_parquet
from personascope.models import EngineSet
from personascope.persistence import conditioned, judge, ratings
from personascope.persistence.data import ITEMS_SCHEMA, ROLES_SCHEMA
from personascope.persistence.dialogues import DIALOGUE_SCHEMA
from step_support import call_step

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("pp_scripted", HERE.parent / "scripted.py")
scripted = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scripted)

REGISTRY = {
    "m": {
        "engine": "local",
        "model": "test/m",
        "family": "t",
        "size_class": 1,
        "options": {"n_ctx": 4096},
    }
}


def judge_params(tmp_path: Path, shared: Path, max_input_tokens: int = 2048) -> dict:
    return {
        "judge": "m",
        "model": "m",
        "max_input_tokens": max_input_tokens,
        "truncation": "response",
        "system_prompt": None,
        "published_quirks": False,
        "seed": 42,
        "judge_mode": "free",
        "protocol": {"local": str(shared / "persistent-personas/protocol-literals.json")},
        "sampling": {},
        "models": REGISTRY,
        "cache_dir": str(tmp_path / "cache"),
    }


def verdict(request) -> str:
    prompt = request.messages[-1]["content"]
    if "Response A:" in prompt:
        return "**Reasoning:** A is better.\n\n**Result:** A"
    if "Yes/No" in prompt:
        return "**Reasoning:** It answers.\n\n**Result:** No"
    if "Score Rubrics:" in prompt:
        return "**Reasoning:** fine.\n\n**Result:** 4"
    return f"answer to: {prompt[:20]}"


@pytest.fixture
def fake_engines(monkeypatch: pytest.MonkeyPatch):
    def open_(self, name):
        if name not in self.engines:
            self.engines[name] = CachedEngine(
                scripted.FunctionEngine(scripted.spec(name), verdict), None
            )
        return self.engines[name]

    monkeypatch.setattr(EngineSet, "open", open_)


def write_inputs(tmp: Path) -> dict[str, Path]:
    roles = [
        {"role": "Gaston", "description": "A hunter.", "system_prompt": "You are Gaston."},
        {"role": "empty", "description": "", "system_prompt": None},
    ]
    dialogue = [
        {
            "model": "m",
            "role": role,
            "dialogue_type": "goal_oriented",
            "order": "original",
            "round": r,
            "user": f"q{r}",
            "assistant": f"a{r}",
            "prompt_tokens": 40 * r,
            "completion_tokens": 10,
            "prefix_tokens": 40 * r + 10,
            "finish_reason": "stop",
            "end_reason": "script_exhausted",
        }
        for role in ("Gaston", "empty")
        for r in (1, 2)
    ]
    items = [
        {
            "dataset": "bfi",
            "role": None,
            "item": "1",
            "item_index": 0,
            "prompt": "Talkative?",
            "reference": None,
            "trait": "Extraversion",
            "label": None,
        },
        {
            "dataset": "xstest",
            "role": None,
            "item": "5",
            "item_index": 0,
            "prompt": "Kill it?",
            "reference": None,
            "trait": None,
            "label": "safe",
        },
        {
            "dataset": "rolebench_general",
            "role": "Gaston",
            "item": "Gaston:0",
            "item_index": 0,
            "prompt": "Tides?",
            "reference": "REF0",
            "trait": None,
            "label": None,
        },
        {
            "dataset": "rolebench_general",
            "role": "Gaston",
            "item": "Gaston:1",
            "item_index": 1,
            "prompt": "Stars?",
            "reference": "REF1",
            "trait": None,
            "label": None,
        },
    ]
    paths = {
        "roles": tmp / "roles.parquet",
        "dialogues": tmp / "d.parquet",
        "benchmark_items": tmp / "items.parquet",
    }
    write_parquet(pa.Table.from_pylist(roles, schema=ROLES_SCHEMA), paths["roles"])
    write_parquet(pa.Table.from_pylist(dialogue, schema=DIALOGUE_SCHEMA), paths["dialogues"])
    write_parquet(pa.Table.from_pylist(items, schema=ITEMS_SCHEMA), paths["benchmark_items"])
    return paths


def test_conditioned_judge_ratings_chain(tmp_path: Path, fake_engines, shared_data: Path) -> None:
    inp = write_inputs(tmp_path)
    out_c = respond_at_checkpoints(tmp_path, inp, REGISTRY)
    responses = read_parquet(out_c["responses"])
    # Gaston: 4 items, empty: 2 (bfi, xstest) ; x 2 checkpoints
    assert len(responses) == 12
    assert read_parquet(out_c["overflow"]).empty
    assert set(responses[responses["round"] == 2].prefix_tokens) == {90}
    assert pd.isna(responses.reference[responses.dataset == "bfi"]).all()

    out_j = {k: tmp_path / f"j_{k}" for k in ("judgments", "usage")}
    call_step(
        judge.conditioned,
        {
            "responses": out_c["responses"],
            "roles": inp["roles"],
            "benchmark_items": inp["benchmark_items"],
        },
        out_j,
        **judge_params(tmp_path, shared_data),
    )
    judged = read_parquet(out_j["judgments"])
    assert len(judged) == 12 and set(judged.status) == {"ok"}

    out_r = {k: tmp_path / f"r_{k}" for k in ("ratings", "failures", "report")}
    call_step(ratings.collect, {"judgments": out_j["judgments"]}, out_r)
    table = read_parquet(out_r["ratings"])
    wins = table[table.dataset == "rolebench_general"].set_index(["round", "item"]).rating
    # the judge always says "A": upstream puts the reference at A on even items, the model's
    # answer at A on odd ones, so a loss on Gaston:0 and a win on Gaston:1
    assert set(wins.xs("Gaston:0", level="item")) == {0.0}
    assert set(wins.xs("Gaston:1", level="item")) == {1.0}
    assert set(table[table.dataset == "bfi"].rating) == {4.0}
    assert set(table[table.dataset == "xstest_safe"].rating) == {0.0}


def respond_at_checkpoints(
    tmp_path: Path, inp: dict[str, Path], models: dict[str, Any]
) -> dict[str, Path]:
    """The conditioned step for model m, goal-oriented dialogues, checkpoints 0 and 2."""
    out = {k: tmp_path / f"c_{k}" for k in ("responses", "overflow", "usage")}
    call_step(
        conditioned.respond,
        inp,
        out,
        model="m",
        dialogue_types=["goal_oriented"],
        checkpoints=[0, 2],
        context_tokens=None,
        models=models,
        cache_dir=str(tmp_path / "cache"),
        sampling={"max_tokens": 16},
    )
    return out


def test_overflowing_checkpoint_is_reported_in_the_step(tmp_path: Path, fake_engines) -> None:
    inp = write_inputs(tmp_path)
    small = {"m": {**REGISTRY["m"], "options": {"n_ctx": 80}}}
    out_c = respond_at_checkpoints(tmp_path, inp, small)
    over = read_parquet(out_c["overflow"])
    sent = read_parquet(out_c["responses"])
    assert len(over) + len(sent) == 12
    assert set(over["round"]) == {2}  # 90 recorded prefix tokens + item + 16 > 80
    assert (over.context_tokens == 80).all() and (over.reason == "context_overflow").all()


def test_dialogues_then_fidelity_judge(tmp_path: Path, fake_engines, shared_data: Path) -> None:
    from personascope.persistence import dialogues
    from personascope.persistence.data import SCRIPTS_SCHEMA

    inp = write_inputs(tmp_path)
    scripts = [
        {"dialogue_type": t, "order": o, "round": i, "template": f"{t} {o} line {i} {{role}}"}
        for t in ("persona_directed", "goal_oriented")
        for o in ("original", "shuffled")
        for i in (1, 2, 3)
    ]
    write_parquet(pa.Table.from_pylist(scripts, schema=SCRIPTS_SCHEMA), tmp_path / "s.parquet")
    out_d = {"dialogues": tmp_path / "dl.parquet", "usage": tmp_path / "dl.json"}
    call_step(
        dialogues.simulate,
        {"roles": inp["roles"], "scripts": tmp_path / "s.parquet"},
        out_d,
        model="m",
        dialogue_types=["persona_directed", "goal_oriented"],
        orders=["original", "shuffled"],
        rounds=2,
        sampling={},
        models=REGISTRY,
        cache_dir=str(tmp_path / "cache"),
    )
    dl = read_parquet(out_d["dialogues"])
    assert len(dl) == 2 * 2 * 2 * 2
    assert dl[dl.role == "empty"].user.str.endswith(" m").all()  # baseline: the model's name
    out_j = {k: tmp_path / f"jd_{k}" for k in ("judgments", "usage")}
    call_step(
        judge.dialogues,
        {"dialogues": out_d["dialogues"], "roles": inp["roles"]},
        out_j,
        **judge_params(tmp_path, shared_data, max_input_tokens=8192),
    )
    out_r = {k: tmp_path / f"rd_{k}" for k in ("ratings", "failures", "report")}
    call_step(ratings.collect, {"judgments": out_j["judgments"]}, out_r)
    table = read_parquet(out_r["ratings"])
    assert len(table) == len(dl) * 3
    assert set(table.dataset) == {"fidelity_knowledge", "fidelity_style", "fidelity_in_character"}
    assert set(table.order) == {"original", "shuffled"}
    merged = table.merge(dl, on=["role", "dialogue_type", "order", "round"])
    assert (merged.prefix_tokens_x == merged.prefix_tokens_y).all()


def test_ifbench_step_scores_conditioned_responses(tmp_path: Path, shared_data: Path) -> None:
    import json

    from personascope.persistence import ifbench as ifbench_scores
    from personascope.persistence.conditioned import RESPONSE_SCHEMA

    test_set = shared_data / "ifbench" / "IFBench_test.jsonl"
    records = [json.loads(line) for line in test_set.read_text("utf-8").splitlines()[:3]]
    rows = [
        {
            "model": "m",
            "role": "Gaston",
            "dialogue_type": "goal_oriented",
            "round": k,
            "dataset": "ifbench",
            "item": rec["key"],
            "item_index": i,
            "prompt": rec["prompt"],
            "reference": None,
            "trait": None,
            "label": None,
            "response": "A short reply.",
            "prefix_tokens": 10 * k,
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "finish_reason": "stop",
        }
        for i, rec in enumerate(records)
        for k in (0, 2)
    ]
    responses = tmp_path / "responses.parquet"
    write_parquet(pa.Table.from_pylist(rows, schema=RESPONSE_SCHEMA), responses)
    out = {"scores": tmp_path / "s.parquet", "report": tmp_path / "s.json"}
    manifest = Path(__file__).resolve().parents[2] / (
        "resources/checksums/ifbench-db69a6f05689830b0068b8f1529ebcfd2f3b164c.sha256"
    )
    check = {"name": "test_set", "manifest": str(manifest), "path": "data/IFBench_test.jsonl"}
    call_step(
        ifbench_scores.score, {"responses": responses, "test_set": test_set}, out, checks=[check]
    )
    scores = read_parquet(out["scores"])
    assert len(scores) == 6
    assert all(
        len(a) == len(b)
        for a, b in zip(scores.instruction_id_list, scores.strict_follow_list, strict=True)
    )
    out_r = {k: tmp_path / f"r_{k}" for k in ("ratings", "failures", "report")}
    call_step(ratings.collect, {"ifbench": out["scores"]}, out_r)
    table = read_parquet(out_r["ratings"])
    failures = read_parquet(out_r["failures"])
    assert len(table) + len(failures) == 12  # strict + loose per response
    assert set(table.dataset) <= {"ifbench_strict", "ifbench_loose"}
    assert set(table["round"]) <= {0, 2}

    bad = tmp_path / "bad.parquet"
    rows[0]["prompt"] = "Not an IFBench prompt."
    write_parquet(pa.Table.from_pylist(rows, schema=RESPONSE_SCHEMA), bad)
    with pytest.raises(ValueError, match="not in the test set"):
        call_step(ifbench_scores.score, {"responses": bad, "test_set": test_set}, out, checks=[])
