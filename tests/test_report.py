"""`snakemake --report` of the embedded default: every table and figure registered, each with a
caption (what it shows, what of which paper it reproduces, protocol, judge mode, parse
failures), one category per study; opened in a real headless Chromium with every image loaded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import DEFAULT_RUN_CONFIG, run_snakemake
from personascope import paths
from report_browser import chromium, inspect_report

pytestmark = pytest.mark.workflow


def report_data(html: str, name: str) -> dict:
    """A JSON global of the report page (`var results = {...};`)."""
    match = re.search(rf"var {name} = (\{{.*?\}});\n", html, re.DOTALL)
    assert match, f"no `var {name}` in the report"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def report(default_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`snakemake --report` of the shared default run (it only reads the run's results)."""
    target = tmp_path_factory.mktemp("report") / "report.html"
    run_snakemake(default_run, "--report", str(target), configfile=default_run / DEFAULT_RUN_CONFIG)
    return target


def test_every_table_and_figure_is_in_the_report_with_its_caption(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    results = report_data(html, "results")
    expected = {
        *(paths.personalens_figure(n, "png") for n in paths.PERSONALENS_FIGURES),
        *(paths.personalens_result_table(n, "csv") for n in paths.PERSONALENS_JUDGE_TABLES),
        *(paths.persistence_figure(n, "png") for n in paths.PERSISTENCE_FIGURES),
        *(paths.persistence_table(n, "csv") for n in paths.PERSISTENCE_TABLES),
    }
    assert expected <= set(results)
    assert set(report_data(html, "categories")) >= {"PersonaLens", "Persistent Personas"}
    for path in expected:
        caption = results[path]["caption"]
        assert "Reproduces" in caption, path
        assert "Parse failures:" in caption and "not counted" not in caption, path
        assert "judge mode" in caption, path
    # a judge table's caption counts the failures its own *_fail columns hold
    main = results[paths.personalens_result_table("main_results", "csv")]["caption"]
    assert re.search(r"Parse failures: \d+ judge answers", main)


def test_the_report_opens_in_chromium_with_every_image(report: Path, tmp_path: Path) -> None:
    if chromium() is None:
        pytest.fail("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    seen = inspect_report(report, tmp_path / "screens")
    assert (tmp_path / "screens" / "index.png").stat().st_size > 10_000
    assert (tmp_path / "screens" / "figure.png").stat().st_size > 10_000
    assert seen["index_broken"] == []
    assert seen["figure_broken"] == []
    # the figure page shows the figure itself, decoded
    assert any(
        src.startswith("data:image/png") and width > 0 for src, width in seen["figure_images"]
    )
