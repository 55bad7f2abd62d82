"""The PersonaLens release: checksums are enforced, and the normalized tables are complete."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from conftest import PERSONALENS_ARCHIVE, REPO
from personascope.personalens.datastats import demographics_table
from personascope.personalens.release import ReleaseError, load_verified, normalize

MANIFEST = REPO / "resources/checksums/personalens-e755f90a3600e80222e129a14a3b218fc6d2c808.sha256"


def rewrite_archive(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a release archive, replacing (bytes) or dropping (None) some members."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin:
            name = member.name.split("/", 1)[-1]
            if name in change:
                if change[name] is None:
                    continue
                data = change[name]
                member.size = len(data)
                tout.addfile(member, io.BytesIO(data))
            else:
                tout.addfile(member, tin.extractfile(member) if member.isfile() else None)


@pytest.fixture(scope="module")
def release_files(shared_data: Path) -> dict[str, bytes]:
    return load_verified(PERSONALENS_ARCHIVE, MANIFEST)


def test_release_tables_cover_the_whole_release(release_files: dict[str, bytes]) -> None:
    tables = normalize(release_files)
    # Facts of the release (spec: 1,500 profiles; 86 SD + 25 MD templates; 90 preferences).
    assert tables["profiles"].num_rows == 1500
    assert tables["task_templates"].num_rows == 86 + 25
    assert tables["preference_schema"].num_rows == 90
    assert tables["interests"].num_rows == 1500 * 20
    scenarios = tables["scenarios"].to_pandas()
    assert set(scenarios["kind"]) == {"SD", "MD"}
    assert scenarios["scenario_id"].is_unique
    assert (scenarios["location"] != "").all()


def test_a_tampered_file_stops_with_its_name(tmp_path: Path, shared_data: Path) -> None:
    bad = tmp_path / "tampered.tar.gz"
    rewrite_archive(PERSONALENS_ARCHIVE, bad, {"data/profile/user7/profile.json": b"{}"})
    with pytest.raises(ReleaseError, match=r"differ.*data/profile/user7/profile.json"):
        load_verified(bad, MANIFEST)


def test_a_missing_file_stops_with_its_name(tmp_path: Path, shared_data: Path) -> None:
    bad = tmp_path / "partial.tar.gz"
    rewrite_archive(PERSONALENS_ARCHIVE, bad, {"res/schema.json": None})
    with pytest.raises(ReleaseError, match=r"missing.*res/schema.json"):
        load_verified(bad, MANIFEST)


def test_a_missing_or_broken_archive_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="not found"):
        load_verified(tmp_path / "nope.tar.gz", MANIFEST)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ReleaseError, match=r"junk\.tar\.gz"):
        load_verified(junk, MANIFEST)


def test_demographics_give_the_papers_tables_6_and_7(release_files: dict[str, bytes]) -> None:
    table = demographics_table(normalize(release_files)["profiles"].to_pandas())
    counts = {(r.attribute, r.value): r.count for r in table.itertuples()}
    # every region row of the paper's Table 7 (its counts, from the country of birth)
    paper_regions = {
        "US": 338,
        "Europe": 313,
        "UK": 292,
        "Latin America and the Caribbean": 146,
        "Australia and New Zealand": 129,
        "Africa": 118,
        "Asia": 60,
        "Northern America": 50,
        "Middle East": 50,
        "Oceania": 1,
        "Prefer not to say": 3,
    }
    assert {v: c for (a, v), c in counts.items() if a == "region"} == paper_regions
    # and a row of each survey attribute of Tables 6 and 7
    for row, paper in {
        ("religion", "Non-religious"): 762,
        ("employment_status", "Working full-time"): 712,
        ("education", "University Bachelors Degree"): 637,
        ("marital_status", "Never been married"): 870,
        ("english_proficiency", "Native speaker"): 886,
    }.items():
        assert counts[row] == paper, row
