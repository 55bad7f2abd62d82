"""`users: N` is upstream's named sample N (checked by sha256); `{random: N}` a seeded draw."""

from __future__ import annotations

import json

import pytest
from personascope.errors import ConfigError, ProtocolError
from personascope.personalens.scenarios import select_users

USERS = [f"user{i}" for i in range(1500)]


def test_named_samples_are_upstreams_lists(shared_data):
    path = shared_data / "personalens" / "samples.json"
    lists = json.loads(path.read_text())["samples"]
    for size in ("20", "30", "50", "100"):
        chosen = select_users(USERS, int(size), path)
        assert chosen == [f"user{n}" for n in sorted(lists[size])]
    with pytest.raises(ConfigError, match="no named sample of 40"):
        select_users(USERS, 40, path)


def test_a_changed_sample_file_is_refused(shared_data, tmp_path):
    data = json.loads((shared_data / "personalens" / "samples.json").read_text())
    data["samples"]["50"][0] += 1
    altered = tmp_path / "samples.json"
    altered.write_text(json.dumps(data))
    with pytest.raises(ProtocolError, match=r"samples\.json"):
        select_users(USERS, 50, altered)


def test_random_draw_is_seeded_and_differs_from_the_named_sample(shared_data):
    path = shared_data / "personalens" / "samples.json"
    first = select_users(USERS, {"random": 50}, path)
    assert first == select_users(USERS, {"random": 50}, path) and len(first) == 50
    assert first != select_users(USERS, 50, path)
