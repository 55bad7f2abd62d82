"""The README documents the ratings-table format; it must say what formats.py defines."""

from __future__ import annotations

import re

from conftest import REPO
from personascope.persistence import formats


def readme_ratings_rows() -> dict[str, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Statistics and the ratings format", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", section, re.M))


def test_readme_ratings_table_lists_exactly_the_format_columns() -> None:
    assert list(readme_ratings_rows()) == list(formats.RATINGS_COLUMNS)


def test_readme_names_every_dataset_of_the_format() -> None:
    documented = set(re.findall(r"`(\w+)`", readme_ratings_rows()["dataset"]))
    assert documented == set(formats.DATASETS)


def test_the_ratings_schema_holds_every_documented_column() -> None:
    assert set(formats.RATINGS_COLUMNS) <= set(formats.RATINGS_SCHEMA.names)
