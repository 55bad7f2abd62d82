"""Bad config stops the run before any job, with a message naming the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PERSONALENS_ARCHIVE, run_snakemake, write_config


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"personalens": {"shards": 0}}, ["config personalens.shards:", "minimum of 1"]),
        (
            {"personalens": {"settings": ["base+x"]}},
            ["config personalens.settings[0]:", "'base+x' is not one of"],
        ),
        (
            {"personalens": {"kinds": ["XD"]}},
            ["config personalens.kinds[0]:", "'XD' is not one of"],
        ),
        (
            {"personalen": {"users": 3}},
            ["unknown key(s) 'personalen'; allowed: bundle, cache_dir, containers"],
        ),
        (
            {"models": {"m": {"engine": "gpu", "model": "x", "family": "f", "size_class": 1}}},
            ["model registry", "config models.m.engine: 'gpu' is not one of"],
        ),
        (
            {"personalens": {"assistants": ["gpt-9"]}},
            ["personalens.assistants", "gpt-9", "not in the model registry"],
        ),
        (
            {"personalens": {"focus_setting": "base"}},  # the default runs vanilla, base+all
            ["config personalens.focus_setting: 'base' is not one of personalens.settings"],
        ),
        (
            {"data": {"personalens": {"local": "/nonexistent/archive.tar.gz"}}},
            ["data.personalens.local", "/nonexistent/archive.tar.gz", "not found"],
        ),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path: Path, overrides: dict, expected: list[str]):
    base = {"data": {"personalens": {"local": str(PERSONALENS_ARCHIVE)}}}
    merged = {**base, **overrides}
    if "data" in overrides:
        merged["data"] = overrides["data"]
    config = write_config(tmp_path / "bad.yaml", merged)
    proc = run_snakemake(tmp_path, "--cores", "1", configfile=config, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for fragment in expected:
        assert fragment in output, output[-3000:]
    # One line per violation, never the schema itself (hundreds of lines).
    assert "$schema" not in output and "additionalProperties" not in output, output[-3000:]
    if "data" not in overrides:
        # A config check's error is its message alone: exit 2, without Snakemake's code frames
        # (a missing data path is found in a rule's input, where Snakemake names the rule).
        assert proc.returncode == 2 and 'File "' not in output, output[-3000:]
    assert not (tmp_path / "results").exists()
