"""Protocol level: config/paper.yaml's sampling per role reaches the API server as request fields
(the stand-in server records the bodies), for the paper's Claude user agent and judge; a changed
temperature in the config arrives changed."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import REPO
from fakes.api_server import FakeAPIServer
from personascope.dialogue import Dialogue
from personascope.engines import ChatRequest, open_engine
from personascope.personalens.dialogues import role_sampling
from personascope.personalens.templates import user_agent_messages
from personascope.protocol import load_pack

CTX = {
    "scenario_id": "user7/SD-Alarm-task-1",
    "user_id": "user7",
    "kind": "SD",
    "domains": ["Alarm"],
    "intent": "Set an alarm",
    "demographics": {"age": "18-24 years old"},
    "affinities": {"Alarm": {"Alarm Time Preference": "8:00 AM"}},
    "interactions": {"Alarm": "Wakes at eight."},
    "location": "Toronto, Canada",
}


def paper() -> tuple[dict, dict]:
    study = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())["personalens"]
    models = yaml.safe_load((REPO / "config" / "models.yaml").read_text())["models"]
    return study, models


def send(server: FakeAPIServer, name: str, entry: dict, sampling, messages) -> dict:
    entry = copy.deepcopy(entry)
    entry["options"] = {**entry.get("options", {}), "base_url": server.url, "max_retries": 0}
    engine = open_engine(name, entry, None)
    engine.generate([ChatRequest.of(messages, sampling)])
    return server.calls("ok")[-1]["body"]


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-protocol")


def test_paper_sampling_of_each_role_reaches_the_server(shared_data, api_key):
    study, models = paper()
    pack = load_pack("personalens", study["protocol"])
    messages = user_agent_messages(pack, Dialogue("d", CTX, 0), study["history_format"])
    user, judge = study["user_agent"], study["judge"]
    assert models[user]["engine"] == models[judge]["engine"] == "anthropic"
    with FakeAPIServer() as server:
        user_body = send(
            server,
            user,
            models[user],
            role_sampling(models[user]["generation"], study["sampling"], "user"),
            messages,
        )
        judge_body = send(
            server,
            judge,
            models[judge],
            role_sampling(models[judge]["generation"], study["sampling"], "judge"),
            [messages[1]],
        )
        changed = copy.deepcopy(study["sampling"])
        changed["user"]["temperature"] = 0.9
        changed_body = send(
            server,
            user,
            models[user],
            role_sampling(models[user]["generation"], changed, "user"),
            messages,
        )
    # upstream: user agent 0.5 / 800, judge 0 / 4000, Claude sent no top_p
    assert (user_body["temperature"], user_body["max_tokens"]) == (0.5, 800)
    assert (judge_body["temperature"], judge_body["max_tokens"]) == (0.0, 4000)
    assert "top_p" not in user_body and "top_p" not in judge_body
    assert user_body["system"] == messages[0]["content"]
    assert user_body["model"] == models[user]["model"] != judge_body["model"]
    assert changed_body["temperature"] == 0.9


def test_assistant_top_p_follows_its_prompt_family():
    study, models = paper()
    by_model = {
        m: role_sampling(
            models[m].get("generation"), study["sampling"], "assistant", models[m]["prompt_family"]
        )
        for m in study["assistants"]
    }
    families = {m: models[m]["prompt_family"] for m in study["assistants"]}
    for model, sampling in by_model.items():
        assert (sampling.temperature, sampling.max_tokens) == (0.0, 800)
        expected = {"llama": 0.9, "mistral": 1.0, "claude": 1.0}[families[model]]
        assert sampling.top_p == expected, model
