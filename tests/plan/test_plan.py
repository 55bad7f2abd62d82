"""The plan: counts that follow from the config, priors printed, measured usage beside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from personascope.plan.cli import load_config
from personascope.plan.core import GENERATION_PROMPT_TOKENS, Tally
from personascope.plan.report import estimate, measured


def run_plan(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "personascope", "plan", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def paper_plan() -> dict:
    config = load_config(REPO, [REPO / "config/paper.yaml"])
    return estimate(config, REPO)


def test_a_dialogue_with_reuse_evaluates_each_message_once() -> None:
    t = Tally("s", "dialogues", "m", "")
    # three rounds: user messages of 10, 20, 30 tokens (the first with a 100-token system
    # prompt), replies of 7 tokens
    t.add_chain([110, 20, 30], [7, 7, 7], completion=7)
    g = GENERATION_PROMPT_TOKENS
    assert t.requests == 3
    assert t.prompt_tokens == (110 + g) + (110 + 7 + 20 + g) + (110 + 7 + 20 + 7 + 30 + g)
    assert t.prompt_tokens_reused == 110 + 7 + 20 + 7 + 30 + 3 * g
    assert t.completion_tokens == 21 and t.prefixes == 1


def test_paper_plan_counts_follow_from_the_config(paper_plan: dict) -> None:
    paper = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    pp, pl = paper["persistence"], paper["personalens"]
    rows = paper_plan["rows"]
    dialogue_requests = sum(
        r["requests"] for r in rows if (r["study"], r["stage"]) == ("persistence", "dialogues")
    )
    assert dialogue_requests == (
        len(pp["models"])
        * len(pp["roles"])
        * len(pp["dialogue_types"])
        * len(pp["orders"])
        * pp["rounds"]
    )
    prefixes = {
        r["model"]: r["prefixes"]
        for r in rows
        if (r["study"], r["stage"]) == ("persistence", "conditioned")
    }
    # per role: one prefix per dialogue type and checkpoint, except k = 0 (no dialogue yet),
    # which both dialogue types share
    later = [k for k in pp["checkpoints"] if k > 0]
    per_model = len(pp["roles"]) * (len(pp["dialogue_types"]) * len(later) + 1)
    assert set(prefixes.values()) == {per_model}
    # PersonaLens without a built release: Table 13's dialogues and turns per dialogue
    # (SD 3,283 x 4.74 rounded to 5 turns, MD 813 x 5.64 rounded to 6) for each setting
    assistant = [
        r
        for r in rows
        if r["stage"] == "dialogues"
        and r["model"] == "llama-3.1-8b"
        and r["study"] == "personalens"
    ]
    # Llama runs `settings` (the paper: base alone; upstream wrote vanilla prompts for the
    # Claude family only)
    llama_settings = [s for s in pl["settings"] if s != "vanilla"]
    assert "llama-3.1-8b" not in pl["settings_of"]
    assert sum(r["requests"] for r in assistant) == len(llama_settings) * (3283 * 5 + 813 * 6)


def test_paper_plan_prices_every_model_and_states_its_priors(paper_plan: dict) -> None:
    models = {m["model"]: m for m in paper_plan["models"]}
    assert models["llama-3.1-70b"]["device"] == "gpu"
    assert models["llama-3.1-70b"]["device_hours"] > models["llama-3.1-8b"]["device_hours"] > 0
    assert models["gemini-2.5-flash"]["api_cost_usd"] > 0
    assert models["claude-3-haiku"]["api_cost_usd"] > 0
    for m in paper_plan["models"]:
        assert m["prompt_tokens_reused"] <= m["prompt_tokens"]
    priors = {(p["study"], p["name"]): p for p in paper_plan["priors"]}
    assert priors[("personalens", "SD_turns_per_dialogue")]["value"] == 4.74
    assert priors[("personalens", "MD_tokens_per_turn")]["value"] == 149.32
    assert all(p["source"] for p in paper_plan["priors"])


def test_plan_command_prints_and_writes_the_plan(tmp_path: Path) -> None:
    proc = run_plan("--configfile", str(REPO / "config/paper.yaml"), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "GPU-hours" in proc.stdout and "## Priors" in proc.stdout
    assert "paper Table 13" in proc.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert (tmp_path / "plan.md").read_text() == proc.stdout
    # paper.yaml inherits the default's studies, PersonaGym included since it joined the default
    assert plan["studies"] == {
        "personalens": "estimated",
        "persistence": "estimated",
        "personagym": "estimated",
    }


def test_a_study_without_an_estimator_is_reported_not_skipped_silently(tmp_path: Path) -> None:
    config = load_config(REPO, [])
    config["studies"] = ["persistence", "nostudy"]
    plan = estimate(config, REPO)
    assert plan["studies"]["nostudy"] == "no estimator yet"
    assert any("nostudy" in n for n in plan["notes"])


def test_a_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("persistence: {rounds: -3}\n")
    proc = run_plan("--configfile", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "rounds" in proc.stderr


def test_measured_usage_is_summed_per_model_and_set_beside_the_estimate(tmp_path: Path) -> None:
    usage = tmp_path / "results/persistence/dialogues"
    usage.mkdir(parents=True)
    entry = {
        "model": "m",
        "calls": 3,
        "cache_hits": 1,
        "prompt_tokens": 50,
        "prompt_tokens_evaluated": 20,
        "completion_tokens": 8,
        "latency_s": 1.0,
    }
    other = {**entry, "model": "someone-else", "calls": 100}
    (usage / "m.usage.json").write_text(json.dumps([entry, other]))
    row = {
        "study": "persistence",
        "stage": "dialogues",
        "model": "m",
        "usage_glob": "results/persistence/dialogues/m.usage.json",
        "requests": 8,
        "prompt_tokens": 100,
        "prompt_tokens_reused": 40,
        "completion_tokens": 4,
    }
    measured([row], tmp_path)
    assert row["measured"]["requests"] == 4  # calls + cache hits of model m only
    assert row["measured"]["prompt_tokens_reused"] == 20
    assert row["ratio"]["requests"] == 2.0
    # tokens over the requests made: 3 of the 4 were calls (1 cache hit), so 4 x 3/4 / 8
    assert row["ratio"]["completion_tokens"] == 0.375


def test_personagym_contributes_its_estimator_when_it_is_a_study() -> None:
    config = load_config(REPO, [REPO / "config/paper.yaml"])
    config["studies"] = ["personagym"]
    plan = estimate(config, REPO)
    pg = config["personagym"]
    assert plan["studies"] == {"personagym": "estimated"}
    rows = {(r["stage"], r["model"]): r for r in plan["rows"]}
    # the paper: 200 personas x 5 tasks x 10 questions, graded in groups of 5
    for model in pg["models"]:
        assert rows[("answers", model)]["requests"] == 200 * 5 * 10
    assert rows[("examples", pg["examples_model"])]["requests"] == 200 * 5 * 2
    graded = sum(r["requests"] for r in plan["rows"] if r["stage"] == "grading")
    # paper.yaml judges freely: a share of the grading answers is re-asked once
    reask = 1 + config["plan"]["judge_reask_rate"]
    assert graded == round(len(pg["models"]) * len(pg["judges"]) * 200 * 5 * 2 * reask)


def test_a_constrained_judge_is_never_reasked_and_fills_a_share_of_max_tokens() -> None:
    config = load_config(REPO, [REPO / "config/paper.yaml"])
    config["studies"] = ["personalens"]
    config["personalens"]["judge_dimensions"] = ["personalization"]

    def judge_rows(mode: str) -> tuple[int, int]:
        config["personalens"]["judge_mode"] = mode
        rows = [r for r in estimate(config, REPO)["rows"] if r["stage"] == "judge"]
        return sum(r["requests"] for r in rows), sum(r["completion_tokens"] for r in rows)

    free_requests, _ = judge_rows("free")
    requests, completion = judge_rows("constrained")
    # (each row is rounded on its own)
    reask = config["plan"]["judge_reask_rate"]
    assert free_requests == pytest.approx(requests * (1 + reask), rel=1e-3)
    cap = config["personalens"]["sampling"]["judge"]["max_tokens"]
    share = config["plan"]["constrained_reply_share"]
    assert completion == pytest.approx(requests * share * cap, rel=0.01)
