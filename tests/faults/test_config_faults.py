"""Bad configs, as data: each one is meaningless and must be refused before any job, in one line
naming the key. They go through `check_config`, the check the Snakefile runs first (so a case costs
milliseconds, not Snakemake's ~10 s start); a handful also go through real `snakemake -n`."""

from __future__ import annotations

import copy
import math
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SHARED_DATA, SNAKEMAKE, absolute_local_paths, run_snakemake, write_config
from personascope.config_check import check_config, load_config, load_yaml, merged
from personascope.errors import ConfigError
from tally import ACCEPTED, CLEAN, CRASHED, SILENT, expect_clean_error, record

SCHEMA_DIR = REPO / "config" / "schema"
BASE = load_config(REPO)

Edit = Callable[[dict[str, Any]], None]


def setter(path: str, value: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[last] = value

    return edit


def deleter(path: str) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        del node[last]

    return edit


PL, PP = "personalens", "persistence"
NAN, INF = math.nan, math.inf
# (case name, edit, fragment the message must hold: the key)
BAD: list[tuple[str, Edit, str]] = [
    ("duplicate settings", setter(f"{PL}.settings", ["vanilla", "vanilla"]), "settings"),
    ("duplicate assistants", setter(f"{PL}.assistants", ["smollm2-135m"] * 2), "assistants"),
    ("duplicate users", setter(f"{PL}.users", ["user0", "user0"]), "users"),
    ("duplicate kinds", setter(f"{PL}.kinds", ["SD", "SD"]), "kinds"),
    ("duplicate task ids", setter(f"{PL}.task_ids", ["t1", "t1"]), "task_ids"),
    ("duplicate domains", setter(f"{PL}.domains", ["Alarm", "Alarm"]), "domains"),
    ("duplicate judge dims", setter(f"{PL}.judge_dimensions", ["naturalness_user"] * 2), "dim"),
    ("duplicate turn domains", setter(f"{PL}.turn_level_domains", ["A", "A"]), "turn_level"),
    ("duplicate regen parts", setter(f"{PL}.regenerate.parts", ["tasks", "tasks"]), "parts"),
    ("duplicate regen users", setter(f"{PL}.regenerate.users", ["user0", "user0"]), "users"),
    ("duplicate models", setter(f"{PP}.models", ["smollm2-135m"] * 2), "persistence.models"),
    ("duplicate roles", setter(f"{PP}.roles", ["Gaston", "Gaston"]), "roles"),
    ("duplicate checkpoints", setter(f"{PP}.checkpoints", [0, 0]), "checkpoints"),
    ("duplicate datasets", setter(f"{PP}.datasets", ["bfi", "bfi"]), "datasets"),
    ("duplicate studies", setter("studies", ["persistence", "persistence"]), "studies"),
    ("setting base+d+d", setter(f"{PL}.settings", ["base+d+d"]), "settings[0]"),
    ("setting base+i+d", setter(f"{PL}.settings", ["base+i+d"]), "settings[0]"),
    ("setting base+all+d", setter(f"{PL}.settings", ["base+all+d"]), "settings[0]"),
    ("setting base+", setter(f"{PL}.settings", ["base+"]), "settings[0]"),
    ("setting Vanilla", setter(f"{PL}.settings", ["Vanilla"]), "settings[0]"),
    ("setting base+d+i+s", setter(f"{PL}.settings", ["base+d+i+s"]), "settings[0]"),
    ("focus setting bad", setter(f"{PL}.focus_setting", "base+x"), "focus_setting"),
    ("no settings", setter(f"{PL}.settings", []), "settings"),
    ("cache_dir empty", setter("cache_dir", ""), "cache_dir"),
    ("cache_dir blank", setter("cache_dir", "  "), "cache_dir"),
    ("personalens local empty", setter("data.personalens.local", ""), "data.personalens.local"),
    ("source local empty", setter(f"{PP}.sources.xstest.local", ""), "xstest.local"),
    ("rolebench local empty", setter(f"{PP}.sources.rolebench.local", ""), "rolebench.local"),
    ("ratings table empty", setter(f"{PP}.ratings_table", ""), "ratings_table"),
    ("human ratings empty", setter(f"{PL}.human_ratings", ""), "human_ratings"),
    ("container empty", setter("containers.cpu", ""), "containers.cpu"),
    ("temperature NaN", setter(f"{PL}.sampling.user.temperature", NAN), "temperature"),
    ("temperature inf", setter(f"{PL}.sampling.assistant.temperature", INF), "temperature"),
    ("temperature -inf", setter(f"{PP}.sampling.judge.temperature", -INF), "temperature"),
    ("temperature 50", setter(f"{PP}.sampling.dialogue.temperature", 50.0), "temperature"),
    ("temperature negative", setter(f"{PL}.sampling.judge.temperature", -0.1), "temperature"),
    ("top_p NaN", setter(f"{PP}.sampling.dialogue.top_p", NAN), "top_p"),
    ("top_p 0", setter(f"{PP}.sampling.dialogue.top_p", 0.0), "top_p"),
    ("top_p 1.5", setter(f"{PP}.sampling.dialogue.top_p", 1.5), "top_p"),
    ("max_tokens 1e30", setter(f"{PL}.sampling.user.max_tokens", 1e30), "max_tokens"),
    ("max_tokens 10**12", setter(f"{PL}.sampling.user.max_tokens", 10**12), "max_tokens"),
    ("max_tokens 0", setter(f"{PP}.sampling.judge.max_tokens", 0), "max_tokens"),
    ("max_tokens 12.5", setter(f"{PP}.sampling.judge.max_tokens", 12.5), "max_tokens"),
    ("max_tokens string", setter(f"{PP}.sampling.judge.max_tokens", "32"), "max_tokens"),
    ("max_tokens bool", setter(f"{PP}.sampling.judge.max_tokens", True), "max_tokens"),
    ("sampling seed negative", setter(f"{PL}.sampling.user.seed", -1), "seed"),
    ("shards 1e9", setter(f"{PL}.shards", 1e9), "shards"),
    ("shards 10**9", setter(f"{PL}.shards", 10**9), "shards"),
    ("shards 2.0", setter(f"{PL}.shards", 2.0), "shards"),
    ("shards 0", setter(f"{PL}.shards", 0), "shards"),
    ("turn_caps 10**6", setter(f"{PL}.turn_caps.SD", 10**6), "turn_caps.SD"),
    ("rounds 0", setter(f"{PP}.rounds", 0), "rounds"),
    ("rounds 103", setter(f"{PP}.rounds", 103), "rounds"),
    ("checkpoint 1000", setter(f"{PP}.checkpoints", [0, 1000]), "checkpoints"),
    ("resamples NaN", setter(f"{PP}.statistics.resamples", NAN), "resamples"),
    ("resamples 10**9", setter(f"{PP}.statistics.resamples", 10**9), "resamples"),
    ("seed negative", setter(f"{PP}.seed", -5), "persistence.seed"),
    ("seed 2**40", setter(f"{PP}.shuffle_seed", 2**40), "shuffle_seed"),
    ("judge input 10**12", setter(f"{PP}.judge_max_input_tokens", 10**12), "judge_max_input"),
    ("role with blank", setter(f"{PP}.roles", [" Gaston", "empty"]), "roles[0]"),
    ("role empty", setter(f"{PP}.roles", ["", "empty"]), "roles[0]"),
    ("assistant blank", setter(f"{PL}.assistants", ["smollm2-135m "]), "assistants[0]"),
    ("judge empty", setter(f"{PP}.judge", ""), "persistence.judge"),
    ("unknown top-level key", setter("personalen", {"users": 3}), "'personalen'"),
    ("unknown study key", setter(f"{PL}.shard", 2), "'shard'"),
    ("unknown sampling key", setter(f"{PP}.sampling.judge.temp", 0.0), "'temp'"),
    ("unknown source key", setter(f"{PP}.sources.xstest.sha", "x"), "'sha'"),
    ("unknown study", setter("studies", ["personagym2"]), "studies[0]"),
    ("no studies", setter("studies", []), "studies"),
    ("missing cache_dir", deleter("cache_dir"), "cache_dir"),
    ("study without section", lambda c: (c.pop(PP), c.update(studies=[PP])), "persistence"),
    ("bad commit", setter(f"{PP}.sources.xstest.commit", "main"), "xstest.commit"),
    ("url without path", setter(f"{PP}.sources.xstest.url", "https://x/"), "xstest.url"),
    ("http url", setter("data.personalens.url", "http://x/y.tar.gz"), "personalens.url"),
    ("users 0", setter(f"{PL}.users", 0), "users"),
    ("users bad id", setter(f"{PL}.users", ["alice"]), "users"),
    ("kinds XD", setter(f"{PL}.kinds", ["XD"]), "kinds[0]"),
    ("history format", setter(f"{PL}.history_format", "xml"), "history_format"),
    ("model engine gpu", setter("models.smollm2-135m.engine", "gpu"), "models.smollm2-135m"),
    ("model temperature NaN", setter("models.smollm2-135m.generation.temperature", NAN), "temp"),
    ("model max_tokens 1e30", setter("models.smollm2-135m.generation.max_tokens", 1e30), "max_"),
    (
        "model name with space",
        setter("models.my model", dict(BASE["models"]["smollm2-135m"])),
        "my model",
    ),
    ("model unknown key", setter("models.smollm2-135m.temperature", 0.0), "'temperature'"),
]
GOOD: list[tuple[str, Edit]] = [
    ("the embedded default", lambda c: None),
    ("the paper config", lambda c: c.update(merged(c, load_yaml(REPO / "config" / "paper.yaml")))),
    ("without the persistence section", lambda c: c.pop(PP) and c.update(studies=[PL])),
    ("without the personalens section", lambda c: c.pop(PL) and c.update(studies=[PP])),
    (
        "every canonical setting",
        setter(
            f"{PL}.settings",
            [
                "vanilla",
                "base",
                "base+d",
                "base+i",
                "base+s",
                "base+d+i",
                "base+d+s",
                "base+i+s",
                "base+all",
            ],
        ),
    ),
]


def edited(edit: Edit) -> dict[str, Any]:
    config = copy.deepcopy(BASE)
    edit(config)
    return config


def test_there_are_at_least_fifty_bad_configs() -> None:
    assert len(BAD) >= 50 and len({name for name, _, _ in BAD}) == len(BAD)


@pytest.mark.parametrize(("name", "edit", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_a_meaningless_config_is_refused_naming_the_key(name: str, edit: Edit, fragment: str):
    config = edited(edit)
    outcome = expect_clean_error(
        "config", lambda: check_config(config, SCHEMA_DIR), fragment, errors=ConfigError
    )
    assert outcome == CLEAN, f"{name}: {outcome}"


@pytest.mark.parametrize(("name", "edit"), GOOD, ids=[g[0] for g in GOOD])
def test_a_meaningful_config_is_accepted(name: str, edit: Edit) -> None:
    config = edited(edit)
    check_config(config, SCHEMA_DIR)
    record("config", ACCEPTED)


def test_messages_are_short_and_name_the_allowed_keys() -> None:
    with pytest.raises(ConfigError) as err:
        check_config(edited(setter(f"{PL}.shard", 2)), SCHEMA_DIR)
    text = str(err.value)
    assert len(text.splitlines()) <= 3 and len(text) < 600, text
    assert "'shard'" in text and "shards" in text and "users" in text


def test_a_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("personalens:\n  users: [user0\n  shards: 1\n", encoding="utf-8")
    outcome = expect_clean_error("config", lambda: load_yaml(bad), f"{bad}:3:", errors=ConfigError)
    assert outcome == CLEAN, outcome


# Real Snakemake on a few: the check above is what the Snakefile runs before anything else.
REAL = {
    "duplicate settings": ({PL: {"settings": ["vanilla", "vanilla"]}}, "personalens.settings"),
    "base+d+d": ({PL: {"settings": ["base+d+d"]}}, "personalens.settings[0]"),
    "empty cache_dir": ({"cache_dir": ""}, "config cache_dir"),
    "NaN temperature": ({PP: {"sampling": {"judge": {"temperature": NAN}}}}, "temperature"),
}


@pytest.mark.workflow
def test_real_snakemake_refuses_them_before_any_job(tmp_path: Path) -> None:
    for name, (overrides, fragment) in REAL.items():
        cfg = write_config(tmp_path / f"{name.replace(' ', '_')}.yaml", overrides)
        proc = run_snakemake(tmp_path, "-n", configfile=cfg, check=False)
        output = proc.stdout + proc.stderr
        # the message alone: exit 2, neither the schema nor Snakemake's code frames
        ok = (
            proc.returncode == 2
            and fragment in output
            and "$schema" not in output
            and 'File "' not in output
        )
        record("snakemake -n", CLEAN if ok else SILENT)
        assert ok, f"{name}: rc {proc.returncode}\n{output[-2000:]}"
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
@pytest.mark.parametrize("dropped", [PP, PL])
def test_a_config_without_an_optional_study_section_plans_its_other_study(
    tmp_path: Path, dropped: str
) -> None:
    """config.yaml is always read, so the probe edits a copy of the workflow whose config.yaml
    lacks one study's section; `studies` names only the other one."""
    import shutil

    import yaml

    copy = tmp_path / "repo"
    copy.mkdir()
    for part in ("Snakefile", "workflow", "config", "resources"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / part)
    cfg_path = copy / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    kept = PL if dropped == PP else PP
    cfg.pop(dropped)
    cfg["studies"] = [kept]
    cfg = merged(cfg, {k: v for k, v in absolute_local_paths().items() if k in cfg})
    # Paths the config does not name (`../shared/data/...` in rule helpers) resolve as beside
    # the repository.
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent, target_is_directory=True)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    cmd = [
        str(SNAKEMAKE),
        "--snakefile",
        str(copy / "Snakefile"),
        "-n",
        "--directory",
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    record("config", ACCEPTED if proc.returncode == 0 else CRASHED)
    assert proc.returncode == 0, output[-3000:]
    assert f"{kept}_" in output and f"{dropped}_" not in output.replace("personalens_archive", "")
