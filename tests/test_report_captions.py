"""The report's caption templates: each item's entry picked by its job's output names, with the
parse-failure count read from the run's own tables (rendered as Snakemake renders captions)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jinja2 import Environment
from personascope import paths
from personascope.bundle.report import captions


class Job:
    """What a caption template sees of a job: its output files."""

    def __init__(self, *output: str) -> None:
        self.output = list(output)


def render(template: Path, *output: str) -> str:
    env = Environment(trim_blocks=True, lstrip_blocks=True)  # as snakemake/report does
    return env.from_string(template.read_text(encoding="utf-8")).render(snakemake=Job(*output))


def write_captions(tmp_path: Path, study: str) -> Path:
    out = tmp_path / "caption.rst"
    params = {"study": study, "judge": "j", "judge_mode": "constrained", "published_quirks": False}
    captions({}, {"caption": out}, captions.params_type(**params))
    return out


@pytest.fixture
def in_workdir(tmp_path: Path):
    before = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(before)


def test_a_judge_table_caption_counts_its_own_failure_columns(in_workdir: Path) -> None:
    tables = in_workdir / paths.PERSONALENS / "tables"
    tables.mkdir(parents=True)
    (tables / "main_results.csv").write_text(
        "assistant,kind,tcr,p,tcr_fail,p_fail\nm,SD,,,2,3\nm,MD,,,1,0\n", encoding="utf-8"
    )
    (tables / "domains.csv").write_text("domain,tasks\nAlarm,3\n", encoding="utf-8")
    template = write_captions(in_workdir, "personalens")
    text = render(
        template,
        paths.personalens_result_table("main_results", "csv"),
        paths.personalens_result_table("main_results", "tex"),
    )
    assert text.count("**main_results**") == 1  # csv and tex: one entry per item
    assert "Parse failures: 6 judge answers." in text
    assert "judge j, judge mode constrained" in text
    assert "domains" not in text
    dataset = render(template, paths.personalens_result_table("domains", "csv"))
    assert "Parse failures: none (no judge scores in this item)." in dataset


def test_persistence_captions_quote_the_run_failure_report(in_workdir: Path) -> None:
    report = in_workdir / paths.PERSISTENCE_FAILURE_REPORT
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"total_failed": 4, "total_rated": 16}), encoding="utf-8")
    template = write_captions(in_workdir, "persistence")
    text = render(
        template,
        paths.persistence_figure("xstest_refusal", "pdf"),
        paths.persistence_figure("xstest_refusal", "png"),
    )
    assert "**xstest_refusal**" in text and "Reproduces the XSTest figure" in text
    assert "Parse failures: 4 of 20 judge answers" in text


def test_personagym_captions_quote_its_grading_failures(in_workdir: Path) -> None:
    table = in_workdir / paths.personagym_table("parse_failures")
    table.parent.mkdir(parents=True)
    table.write_text("judge,task,parse_failures,call_failures\nj1,Toxicity,2,0\nj2,Toxicity,1,0\n")
    template = write_captions(in_workdir, "personagym")
    text = render(template, paths.personagym_table("persona_score"))
    assert "**persona_score**" in text and "PersonaScore" in text
    assert "Parse failures: 3 grading answers (never scored)." in text
