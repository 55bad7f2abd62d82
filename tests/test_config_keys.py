"""Every config key the workflow reads is declared in the config schema (where its default, if
any, lives): a key read in a rule file but missing from the schema would be an undocumented,
unvalidated setting."""

from __future__ import annotations

import ast
import re

import yaml
from conftest import REPO

RULES = REPO / "workflow" / "rules"
SCHEMA = yaml.safe_load((REPO / "config" / "schema" / "config.schema.yaml").read_text("utf-8"))
# Names the rule files give to config sections.
ALIASES = {
    "config": (),
    "PL": ("personalens",),
    "pl": ("personalens",),
    "PL_DATA": ("data", "personalens"),
    "PL_REGEN": ("personalens", "regenerate"),
    "PP": ("persistence",),
    "pp": ("persistence",),
    "PP_SOURCES": ("persistence", "sources"),
    "PP_STATS": ("persistence", "statistics"),
}
ACCESS = re.compile(r"\b(" + "|".join(ALIASES) + r')((?:\["\w+"\]|\.get\("\w+")+)')
KEY = re.compile(r'\["(\w+)"\]|\.get\("(\w+)"')
# keys outside this schema: the model registry (models.schema.yaml) and each source's fields
# under $defs, resolved below
NOT_CONFIG = {("models",)}


def schema_at(path: tuple[str, ...]) -> dict | None:
    node = SCHEMA
    for key in path:
        if "$ref" in node:
            node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        props = node.get("properties", {})
        if key not in props:
            return None
        node = props[key]
    return node


def keys_read() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    texts = [smk.read_text(encoding="utf-8") for smk in RULES.rglob("*.smk")]
    everything = "\n".join(texts)
    for text in texts:
        for alias, chain in ACCESS.findall(text):
            keys = tuple(a or b for a, b in KEY.findall(chain))
            found.add(ALIASES[alias] + keys)
        # `PL[k] for k in SAMPLE_KEYS`: the constant names the keys
        for name, value in re.findall(r"^(\w+_KEYS) = (\(.*?\))$", text, re.M | re.S):
            if f"PL[k] for k in {name}" in everything:
                found.update(("personalens", k) for k in ast.literal_eval(value))
    return found


def test_every_config_key_read_by_the_rules_is_in_the_schema() -> None:
    read = keys_read()
    assert len(read) > 40  # the scan found the rules' config reads
    missing = sorted(
        ".".join(path)
        for path in read
        if not any(path[: len(p)] == p for p in NOT_CONFIG) and schema_at(path) is None
    )
    assert not missing, f"config keys read by the rules but not in the schema: {missing}"


def test_a_key_missing_from_the_schema_is_found() -> None:
    assert schema_at(("personalens", "sampling", "judge")) is not None
    assert schema_at(("persistence", "statistics", "resamples")) is not None
    assert schema_at(("personalens", "no_such_key")) is None
