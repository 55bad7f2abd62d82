"""Judging modes: strict parsing, the one re-ask, constrained answers, recorded failures that are
never scores, and constrained answers that did not take effect caught as engine errors."""

from __future__ import annotations

import re

import pytest
from personascope.engines import Sampling
from personascope.engines.cache import ConstraintIgnored
from personascope.errors import ConfigError
from personascope.judging import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_OK_AFTER_REASK,
    STATUS_OK_CONSTRAINED,
    JudgeTask,
    judge,
)
from personascope.verdicts import boolean_verdict, integer_verdict
from scripted import cached

score = integer_verdict("Score:", 1, 4)
completed = boolean_verdict("Completed:")


def task(item: str, parser=score) -> JudgeTask:
    return JudgeTask(
        item,
        "personalization",
        [{"role": "system", "content": "judge"}, {"role": "user", "content": item}],
        parser,
    )


def test_free_mode_reasks_once_then_records_the_failure() -> None:
    # "good": parses at once; "late": parses only when re-asked; "never": fails both times.
    def reply(request):
        assert request.constraint is None  # free mode sends no constraint, ever
        item = request.messages[1]["content"]
        reasked = len(request.messages) > 2
        if item == "good":
            return "Fine.\nScore: 3"
        if item == "late":
            return "Score: 2" if reasked else "It was decent."
        return "I cannot say." if reasked else "Score: 9"

    engine, raw = cached(reply, form="grammar")
    good, late, never = judge(engine, [task("good"), task("late"), task("never")], Sampling())
    assert (good.status, good.value, good.reask_text) == (STATUS_OK, 3.0, None)
    assert (late.status, late.value) == (STATUS_OK_AFTER_REASK, 2.0)
    assert late.raw_text == "It was decent." and late.reask_text == "Score: 2"
    assert never.status == STATUS_FAILED and never.value is None
    assert "outside 1..4" in never.error and "re-ask" in never.error
    # One batch for the first pass, one batch re-asking only the two failures, with a reminder.
    assert [len(b) for b in raw.batches] == [3, 2]
    reminder = raw.batches[1][0].messages[-1]["content"]
    assert "`Score: <1 | 2 | 3 | 4>`" in reminder


def test_reask_mode_constrains_only_the_reask_to_the_verdict_line() -> None:
    def reply(request):
        if request.constraint is None:
            return "Hard to say."
        assert re.fullmatch(request.constraint.regex, "Score: 2")
        assert not re.fullmatch(request.constraint.regex, "why\n\nScore: 2")
        return "Score: 2"

    engine, raw = cached(reply, form="grammar")
    (j,) = judge(engine, [task("x")], Sampling(max_tokens=64), "reask")
    assert (j.status, j.value, j.raw_text, j.reask_text) == (
        STATUS_OK_CONSTRAINED,
        2.0,
        "Hard to say.",
        "Score: 2",
    )
    assert raw.batches[0][0].constraint is None and raw.batches[1][0].constraint is not None


def test_constrained_mode_reads_the_verdict_of_bounded_reasoning() -> None:
    def reply(request):
        bound = int(re.search(r"\{0,(\d+)\}", request.constraint.regex).group(1))
        # reasoning fills its bound, which leaves room for the verdict within max_tokens
        assert 0 < bound < request.sampling.max_tokens
        return "x" * bound + "\n\nCompleted: False"

    engine, raw = cached(reply, form="regex")
    (j,) = judge(engine, [task("x", completed)], Sampling(max_tokens=64), "constrained")
    assert (j.status, j.value, j.reask_text) == (STATUS_OK_CONSTRAINED, 0.0, None)
    assert len(raw.batches) == 1


def test_an_engine_without_constraints_answers_freely_and_keeps_the_reask() -> None:
    engine, _ = cached(lambda r: "ok" if len(r.messages) == 2 else "Score: 4", form=None)
    (j,) = judge(engine, [task("x")], Sampling(), "constrained")
    assert (j.status, j.value) == (STATUS_OK_AFTER_REASK, 4.0)


def test_a_constraint_the_engine_says_it_applied_but_did_not_is_an_engine_error() -> None:
    # the answer ignores the grammar: it must not be read as free text, nor cached
    engine, _ = cached(lambda r: "Looks fine.\nScore: 3", form="grammar")
    with pytest.raises(ConstraintIgnored, match=r"engine local, model scripted .*Score"):
        judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")


def test_a_json_constraint_that_came_back_as_prose_is_an_engine_error() -> None:
    engine, _ = cached(lambda r: "Score: 3", form="json_schema")
    with pytest.raises(ConstraintIgnored, match="not the JSON object"):
        judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")


def test_a_json_constrained_answer_is_read_from_its_verdict_field() -> None:
    engine, _ = cached(lambda r: '{"reasoning": "fine", "verdict": 4}', form="json_schema")
    (j,) = judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")
    assert (j.status, j.value) == (STATUS_OK_CONSTRAINED, 4.0)
    engine, _ = cached(lambda r: '{"reasoning": "fine", "verdict": 7}', form="json_schema")
    with pytest.raises(ConstraintIgnored, match="expected one of"):
        judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")


def test_the_mode_is_part_of_the_call_cache_key(tmp_path) -> None:
    seen = []
    engine, _ = cached(
        lambda r: seen.append(r) or "\n\nScore: 1", cache_dir=tmp_path, form="grammar"
    )
    judge(engine, [task("x")], Sampling(max_tokens=64), "free")
    judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")
    judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")
    assert len(seen) == 2 and engine.hits == 1


def test_an_unknown_mode_is_a_config_error() -> None:
    engine, _ = cached(lambda r: "Score: 1")
    with pytest.raises(ConfigError, match="judge_mode"):
        judge(engine, [task("x")], Sampling(), "forced")


def test_an_answer_cut_at_max_tokens_is_a_parse_failure_not_an_engine_error() -> None:
    engine, raw = cached(lambda r: "**Reasoning:** it goes on and on", form="grammar")
    original = raw.stream

    def cut(requests):
        for i, response in original(requests):
            response.finish_reason = "length"
            yield i, response

    raw.stream = cut
    (j,) = judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")
    assert j.status == STATUS_FAILED and j.value is None


def test_the_protocol_sheet_entry_names_mode_and_formats() -> None:
    from personascope.judging import sheet_entry

    entry = sheet_entry("reask", {"personalization": score})
    assert entry["judge_mode"] == "reask"
    assert entry["verdict_formats"]["personalization"]["values"] == ["1", "2", "3", "4"]
    with pytest.raises(ConfigError):
        sheet_entry("forced", {})


def test_replay_replays_constrained_answers_as_recorded(tmp_path) -> None:
    from personascope.engines import open_engine

    engine, _ = cached(lambda r: "fine\n\nScore: 2", cache_dir=tmp_path, form="grammar")
    (recorded,) = judge(engine, [task("x")], Sampling(max_tokens=64), "constrained")
    replay_entry = {
        "engine": "replay",
        "model": "test/scripted",
        "revision": "r1",
        "family": "test",
        "size_class": 1,
        "options": {"recorded_engine": "local", "bundle": str(tmp_path)},
    }
    replay = open_engine("scripted", replay_entry, None)
    (again,) = judge(replay, [task("x")], Sampling(max_tokens=64), "constrained")
    assert (again.status, again.value, again.raw_text) == (
        STATUS_OK_CONSTRAINED,
        recorded.value,
        recorded.raw_text,
    )


def test_the_paper_config_judges_freely_and_the_default_constrained() -> None:
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    paper = yaml.safe_load((root / "config" / "paper.yaml").read_text())
    schema = yaml.safe_load((root / "config" / "schema" / "config.schema.yaml").read_text())
    judged = [s for s, block in paper.items() if isinstance(block, dict) and "judge" in block]
    assert {"personalens", "persistence"} <= set(judged)
    for study in judged:
        assert paper[study]["judge_mode"] == "free", study
        assert schema["properties"][study]["properties"]["judge_mode"]["default"] == "constrained"
