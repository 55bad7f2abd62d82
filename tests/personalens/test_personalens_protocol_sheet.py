"""The protocol sheet of config/paper.yaml, built by the real workflow without any model call, holds
the paper's protocol; its example requests use the pack keys they should and leave no field
unfilled."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, SHARED_DATA, job_stats, run_snakemake, write_config
from personascope.errors import ConfigError
from personascope.personalens.protocol import check_turn_level_domains
from personascope.personalens.templates import assistant_runs
from personascope.protocol import load_pack

SHEET = "results/personalens/protocol.json"
EXAMPLES = "results/personalens/protocol_examples.jsonl"
FIELD = re.compile(r"\{[a-z_]+\}")
SIX_SETTINGS = ["vanilla", "base", "base+d", "base+i", "base+s", "base+all"]
ASSISTANTS = {
    "claude-3-haiku",
    "claude-3.5-haiku",
    "claude-sonnet-4-for-3-sonnet",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "mistral-7b",
    "mixtral-8x7b",
}


@pytest.fixture(scope="module")
def paper_sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[dict], str]:
    workdir = tmp_path_factory.mktemp("paper-sheet")
    pack = SHARED_DATA / "personalens"
    overrides = write_config(
        workdir / "local.yaml",
        {
            "data": {
                "personalens": {
                    "local": str(
                        SHARED_DATA / "personalens-e755f90a3600e80222e129a14a3b218fc6d2c808.tar.gz"
                    )
                }
            },
            "personalens": {
                "protocol": {
                    "local": str(pack / "protocol-literals.json"),
                    "samples": str(pack / "samples.json"),
                }
            },
        },
    )
    proc = run_snakemake(
        workdir,
        "--cores",
        "1",
        "--configfile",
        str(REPO / "config" / "paper.yaml"),
        str(overrides),
        "--",
        SHEET,
    )
    sheet = json.loads((workdir / SHEET).read_text())
    examples = [json.loads(line) for line in (workdir / EXAMPLES).read_text().splitlines()]
    return sheet, examples, proc.stdout + proc.stderr


def test_no_model_job_runs_for_the_sheet(paper_sheet):
    _, _, log = paper_sheet
    assert set(job_stats(log)) <= {
        "personalens_release",
        "personalens_sample",
        "personalens_protocol",
        "total",
    }


def test_paper_sheet_states_the_papers_protocol(paper_sheet, shared_data: Path):
    sheet, _, _ = paper_sheet
    samples = json.loads((shared_data / "personalens" / "samples.json").read_text())["samples"]
    assert sheet["users"] == [f"user{n}" for n in samples["50"]]
    assert sheet["dialogues"] == {"SD": 3283, "MD": 813}  # the paper's counts for sample 50
    assert sheet["turn_caps"] == {"SD": 20, "MD": 30}
    assert sheet["history_format"] == "flattened"
    s = sheet["sampling"]
    assert (s["user"]["temperature"], s["user"]["max_tokens"]) == (0.5, 800)
    assert (s["assistant"]["temperature"], s["assistant"]["max_tokens"]) == (0.0, 800)
    assert (s["judge"]["temperature"], s["judge"]["max_tokens"]) == (0.0, 4000)
    assert "top_p" not in s["user"]["sent"] and "top_p" not in s["judge"]["sent"]
    assert sheet["assistant_sampling"]["llama-3.1-8b"]["top_p"] == 0.9
    assert sheet["assistant_sampling"]["mistral-7b"]["top_p"] == 1.0
    assert sheet["published_quirks"] is False
    models = sheet["models"]
    # the one-run tables and figures: Claude 3 Sonnet (its stand-in) in setting base; Fig. 5's
    # domains as the paper's text names them
    scope = sheet["scope"]
    assert scope["focus_setting"] == "base"
    assert models[scope["focus_assistant"]]["substitute_for"] == "claude-3-sonnet"
    assert scope["turn_level_domains"] == ["Movies", "Messaging", "Music"]
    assert {m for m, v in models.items() if "assistant" in v["role"]} == ASSISTANTS
    judge = next(m for m, v in models.items() if v["role"] == "judge")
    user = next(m for m, v in models.items() if "user_agent" in v["role"])
    # distinct roles: the judge is neither the user agent nor an assistant under test
    assert models[judge]["model"] != models[user]["model"]
    assert models[judge]["model"] not in {models[a]["model"] for a in ASSISTANTS}
    for retired in (judge, user):
        assert models[retired]["substitute_for"] and models[retired]["substitute_reason"]
    # Table 3: every assistant in base; Table 4: Claude 3 Sonnet (its stand-in) in all six
    runs = {(r["assistant"], r["setting"]) for r in sheet["runs"]}
    ablated = scope["focus_assistant"]
    assert runs == {(a, "base") for a in ASSISTANTS} | {(ablated, s) for s in SIX_SETTINGS}
    assert sheet["not_run"] == []
    keys = {t["key"] for t in sheet["texts"]}
    assert {k.split("::")[0] for k in keys} == {
        "util/assistant_prompts.py",
        "util/evaluation_prompts.py",
        "src/generate_dialogue.py",
        "src/generate_dialogue_md.py",
    }
    assert all(t["source"].startswith("shared pack ") for t in sheet["texts"])


def test_examples_use_the_expected_keys_and_fill_every_field(paper_sheet):
    _, examples, _ = paper_sheet
    assert {e["kind"] for e in examples} == {"SD", "MD"}
    for e in examples:
        if e["request"] == "assistant" and not e["available"]:
            assert e["setting"] == "vanilla" and e["family"] != "claude"
            continue
        for m in e["messages"]:
            assert not FIELD.search(m["content"]), (e["request"], e.get("setting"))
        if e["request"] == "user_agent":
            agent_file = (
                "src/generate_dialogue_md.py" if e["kind"] == "MD" else ("src/generate_dialogue.py")
            )
            opening = "task_prompt_initial_query" if e["turn"] == 1 else "self.task_prompt"
            assert all(k.startswith(agent_file + "::") for k in e["keys"])
            assert e["keys"][0].endswith("self.system_prompt") and e["keys"][1].endswith(opening)
        elif e["request"] == "assistant":
            family = e["family"].upper()
            suffix = {
                "vanilla": "_VANILLA",
                "base": "",
                "base+d": "_D",
                "base+i": "_P",
                "base+s": "_S",
                "base+all": "_DPS",
            }[e["setting"]]
            system = "_SYSTEM_PROMPT_VANILLA" if e["setting"] == "vanilla" else "_SYSTEM_PROMPT"
            assert e["keys"] == [
                f"util/assistant_prompts.py::{family}{system}",
                f"util/assistant_prompts.py::{family}_TASK_PROMPT{suffix}",
            ]
        else:
            [key] = e["keys"]
            assert key.startswith("util/evaluation_prompts.py::EVAL_DIALOGUE_")
    per_kind = [e for e in examples if e["kind"] == "SD"]
    assert sum(e["request"] == "assistant" for e in per_kind) == 3 * 6
    assert sum(e["request"] == "judge" for e in per_kind) == 7


def test_a_turn_level_domain_the_release_lacks_is_a_config_error() -> None:
    scenarios = pd.DataFrame({"kind": ["SD", "MD"], "domains": [["Movies"], ["Music", "Books"]]})
    check_turn_level_domains(["Movies"], scenarios)
    check_turn_level_domains(None, scenarios)
    with pytest.raises(ConfigError, match=r"personalens\.turn_level_domains.*'Music'"):
        check_turn_level_domains(["Movies", "Music"], scenarios)  # Music: MD tasks only


def test_vanilla_runs_only_where_upstream_wrote_its_prompt(shared_data: Path) -> None:
    pack = load_pack(
        "personalens", {"local": str(shared_data / "personalens" / "protocol-literals.json")}
    )
    families = {"c": "claude", "l": "llama", "x": None}
    pairs, skipped = assistant_runs(pack, ["c", "l", "x"], ["vanilla", "base"], {}, families)
    assert pairs == [("c", "vanilla"), ("c", "base"), ("l", "base")]
    assert {(r["assistant"], r["setting"]) for r in skipped} == {
        ("l", "vanilla"),
        ("x", "vanilla"),
        ("x", "base"),
    }
    # an assistant's own list replaces `settings`
    pairs, _ = assistant_runs(pack, ["c", "l"], ["base"], {"c": SIX_SETTINGS}, families)
    assert pairs == [*(("c", s) for s in SIX_SETTINGS), ("l", "base")]
