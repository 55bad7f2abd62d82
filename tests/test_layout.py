"""The layout is the map: results/<study>/<stage>/x is made only by a rule in
workflow/rules/<study>/<stage>.smk, whose step is `<study>.<stage>.<function>` in
personascope/<study>/<stage>(.py | /__init__.py) — checked on every job of the DAG."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, SNAKEMAKE, absolute_local_paths, write_config
from personascope.steps import build_params, resolve

RULES = REPO / "workflow" / "rules"
RULE_LINE = re.compile(r"^\s*rule (\w+):", re.M)
STEP_CALL = re.compile(r'run_step\("([\w.]+)"\)')


def rule_files() -> dict[str, Path]:
    """rule name -> the .smk file that defines it."""
    found: dict[str, Path] = {}
    for smk in sorted(RULES.rglob("*.smk")):
        for name in RULE_LINE.findall(smk.read_text(encoding="utf-8")):
            assert name not in found, f"rule {name} defined twice ({found.get(name)}, {smk})"
            found[name] = smk
    return found


# The one area outside the studies (DESIGN): results/bundle/... -> workflow/rules/bundle.smk ->
# personascope/bundle/ (the reproduction bundle and the report's captions).
BUNDLE_RULES = RULES / "bundle.smk"
PLAN_RULES = RULES / "plan.smk"  # the plan over every study (issue #17)


def study_stage(smk: Path) -> tuple[str, str] | None:
    rel = smk.relative_to(RULES)
    if len(rel.parts) != 2 or rel.stem == "common":
        return None
    return rel.parts[0], rel.stem


def expected_prefixes(smk: Path) -> tuple[str, str] | None:
    """(output prefix, step prefix) a rule file's jobs must keep to."""
    if smk == BUNDLE_RULES:
        return "results/bundle/", "bundle."
    if smk == PLAN_RULES:
        return "results/plan/", "plan."
    place = study_stage(smk)
    return (f"results/{place[0]}/{place[1]}/", f"{place[0]}.{place[1]}.") if place else None


def dry_run_jobs(workdir: Path, configfile: Path) -> list[dict[str, str]]:
    """Each job of `snakemake -n -p`: its rule, outputs and shell command."""
    proc = subprocess.run(
        [
            str(SNAKEMAKE),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(configfile),
            "-n",
            "-p",
            "--forceall",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:] + proc.stdout[-4000:]
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", proc.stdout):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if not head:
            continue
        outputs = re.search(r"^\s+output: (.*)$", block, re.M)
        shell = re.search(r"^Shell command: (.*)$", block, re.M)
        jobs.append(
            {
                "rule": head.group(1),
                "outputs": outputs.group(1) if outputs else "",
                "shell": shell.group(1) if shell else "",
            }
        )
    return jobs


@pytest.mark.workflow
def test_every_job_writes_into_its_rule_files_study_and_stage(tmp_path: Path) -> None:
    # Regeneration and human agreement are off in the default: switch them on so their rules
    # are in the DAG too (a dry run: nothing is computed).
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("dialogue_id,annotator,metric,rating\n", encoding="utf-8")
    config = write_config(
        tmp_path / "all-rules.yaml",
        absolute_local_paths()
        | {"personalens": {"regenerate": {"enabled": True}, "human_ratings": str(ratings)}},
    )
    files = rule_files()
    jobs = dry_run_jobs(tmp_path / "work", config)
    seen = {job["rule"] for job in jobs}
    assert {"personalens_regenerate", "personalens_agreement", "persistence_figure"} <= seen
    checked = 0
    for job in jobs:
        if job["rule"] == "all":
            continue
        prefixes = expected_prefixes(files[job["rule"]])
        assert prefixes, f"rule {job['rule']} is in {files[job['rule']]}, not <study>/<stage>.smk"
        out_prefix, step_prefix = prefixes
        for out in job["outputs"].split(", "):
            if out.startswith("resources/"):  # pinned downloads: only data rules make them
                assert out_prefix.endswith("/data/"), (
                    f"{job['rule']} downloads {out} outside a data stage"
                )
                continue
            if out_prefix.endswith("/protocol/"):  # a study's protocol sheet: top of its results
                study_root = out_prefix[: -len("protocol/")]
                assert re.fullmatch(rf"{re.escape(study_root)}protocol[\w.]*", out), (
                    job["rule"],
                    out,
                )
                continue
            assert out.startswith(out_prefix), (
                f"rule {job['rule']} ({files[job['rule']].relative_to(REPO)}) writes {out}"
            )
        called = re.search(r"-m personascope ([\w.]+)", job["shell"])
        if called and called.group(1) != "personascope.download":
            name = called.group(1)
            assert name.startswith(step_prefix), (job["rule"], name)
            # the rule's JSON is exactly the step's parameters (no missing or unknown key)
            argv = shlex.split(job["shell"].split(" > ")[0])
            raw = json.loads(argv[argv.index("-p") + 1])
            build_params(name, resolve(name).params_type, raw)
            checked += 1
    assert checked >= 20


def test_every_step_name_resolves_to_its_stage_module() -> None:
    files = rule_files()
    names = 0
    for smk in {path for path in files.values()}:
        prefixes = expected_prefixes(smk)
        for name in STEP_CALL.findall(smk.read_text(encoding="utf-8")):
            names += 1
            assert prefixes, f"{smk} calls {name} but is not a <study>/<stage>.smk file"
            assert name.startswith(prefixes[1]), f"{smk}: step {name}"
            func = resolve(name)
            package = prefixes[1].split(".")[0]
            assert func.__module__.startswith(f"personascope.{package}."), (name, func.__module__)
    assert names >= 20


def test_a_step_name_outside_the_map_is_refused() -> None:
    from personascope.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no module personascope\.personalens\.nowhere"):
        resolve("personalens.nowhere.step")
    with pytest.raises(ConfigError, match="has no step"):
        resolve("personalens.tables.write_table")  # a function, but not a declared step
