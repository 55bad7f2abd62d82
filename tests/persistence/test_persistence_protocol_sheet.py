"""The protocol sheet: a target that runs no model, states the paper's protocol under
config/paper.yaml, and whose example requests use the pack's keys with every placeholder filled."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO, absolute_local_paths, run_snakemake, write_config

PLACEHOLDER = re.compile(
    r"\{(INPUT|OUTPUT|RESPONSE_A|RESPONSE_B|EVALUATION_CRITERIA|RUBRIC|role|role_desc)\}"
)
TARGETS = ("protocol.json", "protocol.md", "protocol_examples.jsonl")


def build_sheet(tmp_path: Path, overrides: dict[str, Any]) -> tuple[dict, list[dict]]:
    config = write_config(tmp_path / "sheet.yaml", overrides)
    out = tmp_path / "results/persistence"
    proc = run_snakemake(
        tmp_path,
        "--cores",
        "1",
        *(f"results/persistence/{t}" for t in TARGETS),
        configfile=config,
    )
    # only the data tables and the sheet itself ran: no model job
    assert "persistence_dialogues" not in proc.stdout + proc.stderr
    sheet = json.loads((out / "protocol.json").read_text(encoding="utf-8"))
    lines = (out / "protocol_examples.jsonl").read_text(encoding="utf-8").splitlines()
    return sheet, [json.loads(line) for line in lines]


def paper_overrides() -> dict[str, Any]:
    paper = yaml.safe_load((REPO / "config/paper.yaml").read_text(encoding="utf-8"))
    local = absolute_local_paths()
    paper["persistence"]["sources"] = {
        **local["persistence"]["sources"],
        # RoleBench is on the HF hub only (no network here): the sheet is built without it
        "rolebench": {**paper["persistence"]["sources"]["rolebench"], "revision": None},
    }
    paper["persistence"]["protocol"] = local["persistence"]["protocol"]
    paper["studies"] = ["persistence"]
    return {"studies": paper["studies"], "persistence": paper["persistence"]}


def test_paper_sheet_states_the_papers_protocol(tmp_path: Path, shared_data: Path) -> None:
    sheet, examples = build_sheet(tmp_path, paper_overrides())
    assert sheet["rounds"] == 102
    assert sheet["checkpoints"] == [0, 11, 22, 34, 45, 56, 68, 79, 90, 102]
    assert len(sheet["roles"]) == 9 and "empty" in sheet["roles"]
    assert sheet["published_quirks"] is True and sheet["judge_system_prompt"] is None
    assert sheet["truncation"]["judge"] == "prompt_tail"
    assert sheet["truncation"]["judge_max_input_tokens"] == 8192
    judge = sheet["sampling"]["judge"]["selene-1-mini-llama-3.1-8b"]
    assert judge == {"temperature": 0.0, "top_p": 1.0, "max_tokens": 8192}
    for model, s in sheet["sampling"]["dialogue"].items():
        assert (s["temperature"], s["top_p"], s["max_tokens"]) == (0.0, 0.95, 8192), model
    assert len(sheet["sampling"]["dialogue"]) == 7
    nemotron = sheet["models"]["llama-3.1-nemotron-nano-8b-v1"]
    assert nemotron["quirks"]["system_prompt_prefix"] == "detailed thinking: off"
    assert nemotron["quirks"]["system_prompt_separator"] == "\n\n"
    assert all(m["revision"] for name, m in sheet["models"].items() if m["engine"] == "vllm")
    assert sheet["items"]["bfi"] == 44 and sheet["items"]["xstest"] == 450
    pack = json.loads(
        (shared_data / "persistent-personas/protocol-literals.json").read_text(encoding="utf-8")
    )["literals"]
    # every Selene-judge text, checked and listed (upstream's Flow-Judge template serves only
    # non-Selene judges, which this workflow does not run)
    assert {t["key"] for t in sheet["texts"]} == set(pack) - {
        "data/prompts.py::flow_judge_template"
    }
    assert examples[0]["model"] == "gemma-3-4b-it"


def test_default_examples_use_the_packs_keys_and_fill_every_placeholder(
    tmp_path: Path, shared_data: Path
) -> None:
    sheet, examples = build_sheet(tmp_path, {"studies": ["persistence"], **absolute_local_paths()})
    pack = json.loads(
        (shared_data / "persistent-personas/protocol-literals.json").read_text(encoding="utf-8")
    )["literals"]
    rounds = {e["round"] for e in examples}
    assert rounds == {0, max(sheet["checkpoints"])}
    kinds = {(e["kind"], e["dataset"]) for e in examples}
    for dataset in (
        "bfi",
        "xstest",
        "fidelity_knowledge",
        "fidelity_style",
        "fidelity_in_character",
    ):
        assert ("judge", dataset) in kinds
    assert ("dialogue_turn", None) in kinds and ("conditioned", "ifbench") in kinds
    for e in examples:
        text = "\n".join(m["content"] for m in e["messages"])
        assert not PLACEHOLDER.search(text), e["kind"]
        for key in e["keys"]:
            assert key in pack
        if e["kind"] == "judge":
            used = set(e["keys"])
            template = next(k for k in used if "selene_template" in k)
            assert pack[template].split("{INPUT}")[0] in text
            criteria = next(k for k in used if k.endswith(".evaluation_criteria"))
            assert pack[criteria] in text
        else:
            assert e["messages"][0]["content"].startswith(
                pack["data/prompts.py::role_template"].split("{role}")[0]
            )
    last = next(e for e in examples if e["kind"] == "conditioned" and e["round"] > 0)
    assert len(last["messages"]) == 1 + 2 * last["round"] + 1  # system, k rounds, the item
