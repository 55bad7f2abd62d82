"""The regeneration step end to end on small tables, with a scripted engine standing in for
the model (the real local model runs in test_workflow_full.py): parsed items replace the
release value, failures keep it and are logged, other users are untouched."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from personascope.io import read_parquet, write_parquet
from personascope.personalens import regenerate
from scripted import cached
from step_support import call_step


def tables(tmp_path: Path) -> dict[str, Path]:
    frames = {
        "profiles": pd.DataFrame(
            [
                {"user_id": u, **{k: "x" for k in regenerate.DEMOGRAPHICS}}
                for u in ("user0", "user1")
            ]
        ),
        "affinities": pd.DataFrame(
            {
                "user_id": ["user0", "user0", "user1"],
                "domain": ["Alarm", "Alarm", "Alarm"],
                "preference": ["Sound", "Time", "Sound"],
                "values": [["beep"], ["7:00 AM"], ["beep"]],
                "is_list": [False, False, False],
            }
        ),
        "interactions": pd.DataFrame(
            {"user_id": ["user0", "user1"], "domain": ["Alarm", "Alarm"], "summary": ["s0", "s1"]}
        ),
        "scenarios": pd.DataFrame(
            {
                "scenario_id": ["user0/SD-Alarm-task-1"],
                "user_id": ["user0"],
                "task_id": ["SD-Alarm-task-1"],
                "kind": ["SD"],
                "domains": [["Alarm"]],
                "description": ["Set an alarm"],
                "intent": ["old intent"],
                "goal": ["old goal"],
                "affinity_types": [["Sound"]],
                **{c: ["old"] for c in regenerate.SITUATION_FIELDS.values()},
            }
        ),
        "preference_schema": pd.DataFrame(
            {
                "domain": ["Alarm", "Alarm"],
                "preference": ["Sound", "Time"],
                "description": ["sound", "time"],
                "categorical": [True, True],
                "multiple": [False, False],
                "possible_values": [["beep", "chimes"], ["7:00 AM", "8:00 AM"]],
            }
        ),
    }
    paths = {}
    for name, frame in frames.items():
        paths[name] = tmp_path / f"{name}.parquet"
        write_parquet(frame, paths[name])
    return paths


def reply(request) -> str:  # type: ignore[no-untyped-def]
    prompt = request.messages[-1]["content"]
    if "Preference: Sound" in prompt:
        return "Value: Chimes"
    if "Preference: Time" in prompt:
        return "Value: noon"  # not a possible value, also after the re-ask -> failure
    if "Summary" in prompt:
        return "Summary: likes chimes"
    if "Intent" in prompt:
        return "Intent: wake up\nGoal: alarm set"
    return "\n".join(f"{label}: new {label}" for label in regenerate.SITUATION_FIELDS)


def test_regenerate_step(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine, fake = cached(reply)

    class Engines:
        @classmethod
        def of(cls, *args: object) -> Engines:
            return cls()

        def __enter__(self) -> Engines:
            return self

        def __exit__(self, *exc: object) -> None: ...

        def open(self, name: str):  # type: ignore[no-untyped-def]
            return engine

    monkeypatch.setattr(regenerate, "EngineSet", Engines)
    inputs = tables(tmp_path)
    out = {
        t: tmp_path / "out" / f"{t}.parquet"
        for t in ("affinities", "interactions", "scenarios", "log")
    }
    call_step(
        regenerate.regenerate_inputs,
        inputs,
        out,
        users=["user0"],
        domains=None,
        parts=list(regenerate.PARTS),
        sampling={},
        models={"m": {}},
        cache_dir="cache",
        model="m",
    )
    aff = read_parquet(out["affinities"])
    assert [list(v) for v in aff["values"]] == [["chimes"], ["7:00 AM"], ["beep"]]
    inter = read_parquet(out["interactions"])
    assert list(inter["summary"]) == ["likes chimes", "s1"]
    scen = read_parquet(out["scenarios"]).iloc[0]
    assert (scen["intent"], scen["goal"], scen["location"]) == (
        "wake up",
        "alarm set",
        "new Location",
    )
    log = read_parquet(out["log"]).set_index("item_id")
    assert log.loc["user0/Alarm/Time", "status"] == "parse_failure"
    assert log.loc["user0/Alarm/Sound", "status"] == "ok"
    assert len(log) == 2 + 1 + 1 + 1  # two preferences, a summary, a situation, a task
    # 5 first calls + 1 re-ask for the failed preference
    assert fake.calls == 6
