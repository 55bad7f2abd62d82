"""The round-synchronous loop: batching, who speaks when, and how dialogues end."""

from __future__ import annotations

from personascope.dialogue import (
    ASSISTANT,
    END_SCRIPT_EXHAUSTED,
    END_TERMINATED,
    END_TURN_CAP,
    USER,
    Dialogue,
    ModelSide,
    ScriptedUser,
    chat_history,
    simulate,
)
from personascope.engines import Sampling
from scripted import cached


def last_user_text(request) -> str:
    return [m for m in request.messages if m["role"] == "user"][-1]["content"]


def test_user_speaks_first_and_sides_alternate_until_cap():
    user_engine, _ = cached(lambda r: "more please")
    asst_engine, asst_raw = cached(lambda r: "here you go")
    dialogues = [Dialogue(f"d{i}", {}, max_user_turns=3) for i in range(4)]
    simulate(
        dialogues,
        user=ModelSide(user_engine, lambda d: [{"role": "system", "content": "u"}], Sampling()),
        assistant=ModelSide(
            asst_engine,
            lambda d: [{"role": "system", "content": d.dialogue_id}, *chat_history(d, ASSISTANT)],
            Sampling(),
        ),
    )
    for d in dialogues:
        assert [t.speaker for t in d.turns] == [USER, ASSISTANT] * 3
        assert d.end_reason == END_TURN_CAP
        assert d.user_turns() == 3
    # One batch per side per round, each holding every active dialogue.
    assert [len(b) for b in asst_raw.batches] == [4, 4, 4]


def test_without_reply_after_cap_a_dialogue_ends_on_its_capped_user_turn():
    # PersonaLens upstream: opening query + N exchanges; the last user turn gets no reply,
    # while a TERMINATE turn still does.
    def user_reply(request):
        system = request.messages[0]["content"]
        turns = sum(m["role"] == "assistant" for m in request.messages)
        return "bye TERMINATE" if system == "t" and turns == 1 else "more"

    user_engine, _ = cached(user_reply)
    asst_engine, asst_raw = cached(lambda r: "sure")
    capped = Dialogue("c", {}, max_user_turns=3, reply_after_cap=False)
    ended = Dialogue("t", {}, max_user_turns=3, reply_after_cap=False)
    simulate(
        [capped, ended],
        user=ModelSide(
            user_engine,
            lambda d: [{"role": "system", "content": d.dialogue_id}, *chat_history(d, USER)],
            Sampling(),
        ),
        assistant=ModelSide(
            asst_engine,
            lambda d: [{"role": "system", "content": d.dialogue_id}, *chat_history(d, ASSISTANT)],
            Sampling(),
        ),
    )
    assert [t.speaker for t in capped.turns] == [USER, ASSISTANT, USER, ASSISTANT, USER]
    assert capped.end_reason == END_TURN_CAP
    assert [t.speaker for t in ended.turns] == [USER, ASSISTANT] * 2
    assert ended.end_reason == END_TERMINATED
    assert [len(b) for b in asst_raw.batches] == [2, 2]


def test_terminate_gets_one_final_assistant_reply_and_leaves_the_active_set():
    # Dialogue d0's user terminates in its second turn; d1 never does.
    def user_reply(request):
        system = request.messages[0]["content"]
        turns = sum(m["role"] == "assistant" for m in request.messages)
        return "thanks TERMINATE" if system == "d0" and turns == 1 else "go on"

    user_engine, _ = cached(user_reply)
    asst_engine, asst_raw = cached(lambda r: "ok")
    dialogues = [Dialogue("d0", {}, 5), Dialogue("d1", {}, 5)]
    simulate(
        dialogues,
        user=ModelSide(
            user_engine,
            lambda d: [{"role": "system", "content": d.dialogue_id}, *chat_history(d, USER)],
            Sampling(),
        ),
        assistant=ModelSide(
            asst_engine,
            lambda d: [{"role": "system", "content": d.dialogue_id}, *chat_history(d, ASSISTANT)],
            Sampling(),
        ),
    )
    d0, d1 = dialogues
    assert d0.end_reason == END_TERMINATED
    assert [t.speaker for t in d0.turns] == [USER, ASSISTANT, USER, ASSISTANT]
    assert "TERMINATE" in d0.turns[2].text
    assert d1.end_reason == END_TURN_CAP and d1.user_turns() == 5
    # After round 2 only d1 is still in the batches.
    assert [len(b) for b in asst_raw.batches] == [2, 2, 1, 1, 1]


def test_scripted_user_reads_its_lines_then_the_dialogue_ends():
    asst_engine, _ = cached(lambda r: f"answer to {last_user_text(r)}")
    dialogues = [
        Dialogue("a", {"script": ["q1", "q2", "q3"]}, max_user_turns=100),
        Dialogue("b", {"script": ["only"]}, max_user_turns=100),
    ]
    simulate(
        dialogues,
        user=ScriptedUser(),
        assistant=ModelSide(
            asst_engine,
            lambda d: [{"role": "system", "content": "s"}, *chat_history(d, ASSISTANT)],
            Sampling(),
        ),
        is_terminal=None,
    )
    a, b = dialogues
    assert [t.text for t in a.turns] == [
        "q1",
        "answer to q1",
        "q2",
        "answer to q2",
        "q3",
        "answer to q3",
    ]
    assert a.end_reason == END_SCRIPT_EXHAUSTED and b.end_reason == END_SCRIPT_EXHAUSTED
    assert len(b.turns) == 2
    assert all(t.finish_reason == "scripted" for t in a.turns if t.speaker == USER)


def test_identical_requests_in_a_round_are_sent_once():
    asst_engine, asst_raw = cached(lambda r: "same")
    user_engine, _ = cached(lambda r: "same question")
    dialogues = [Dialogue(f"d{i}", {}, max_user_turns=1) for i in range(3)]
    simulate(
        dialogues,
        user=ModelSide(user_engine, lambda d: [{"role": "system", "content": "u"}], Sampling()),
        assistant=ModelSide(
            asst_engine,
            lambda d: [{"role": "system", "content": "a"}, *chat_history(d, ASSISTANT)],
            Sampling(),
        ),
    )
    assert asst_raw.calls == 1
    assert all(d.turns[-1].text == "same" for d in dialogues)


def test_chat_history_flips_roles_for_each_side():
    d = Dialogue("x", {}, 3)
    from personascope.dialogue import Turn

    d.turns = [Turn(USER, "hi"), Turn(ASSISTANT, "hello")]
    assert [m["role"] for m in chat_history(d, ASSISTANT)] == ["user", "assistant"]
    assert [m["role"] for m in chat_history(d, USER)] == ["assistant", "user"]
