"""The bundle file format: byte-reproducible writing, and verification that names the member
that was altered, removed or added before anything is unpacked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_support import members_of, rebuild, repack
from personascope.bundle.archive import MANIFEST, verify, write_bundle
from personascope.errors import BundleError


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    (tmp_path / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    path, _ = write_bundle(
        {
            "manifests/outputs.json": b'[{"path": "t.csv"}]\n',
            "data/table.csv": tmp_path / "table.csv",
        },
        {"targets": ["t.csv"]},
        tmp_path / "out",
    )
    return path


def test_same_members_give_the_same_bytes_and_name(tmp_path: Path, bundle: Path) -> None:
    again, digest = write_bundle(
        {"manifests/outputs.json": b'[{"path": "t.csv"}]\n', "data/table.csv": b"a,b\n1,2\n"},
        {"targets": ["t.csv"]},
        tmp_path / "again",
    )
    assert again.name == bundle.name
    assert again.read_bytes() == bundle.read_bytes()
    assert bundle.name == f"personascope-{digest[:16]}.tar.gz"


def test_an_intact_bundle_verifies(bundle: Path) -> None:
    manifest = verify(bundle)
    assert sorted(manifest["members"]) == ["data/table.csv", "manifests/outputs.json"]
    assert manifest["targets"] == ["t.csv"]


def test_an_altered_member_is_refused_by_name(bundle: Path, tmp_path: Path) -> None:
    members = members_of(bundle)
    members["manifests/outputs.json"] = b'[{"path": "other.csv"}]\n'
    tampered = repack(members, tmp_path / bundle.name)
    with pytest.raises(BundleError, match=r"member manifests/outputs\.json was altered"):
        verify(tampered)


def test_a_removed_member_is_refused_by_name(bundle: Path, tmp_path: Path) -> None:
    members = members_of(bundle)
    del members["data/table.csv"]
    with pytest.raises(BundleError, match=r"member data/table\.csv is missing \(removed\)"):
        verify(repack(members, tmp_path / bundle.name))


def test_an_added_member_is_refused_by_name(bundle: Path, tmp_path: Path) -> None:
    members = {**members_of(bundle), "calls/ab/extra.json": b"{}"}
    with pytest.raises(BundleError, match=r"member calls/ab/extra\.json is not in MANIFEST"):
        verify(repack(members, tmp_path / bundle.name))


def test_a_rewritten_manifest_does_not_match_the_digest_in_the_name(
    bundle: Path, tmp_path: Path
) -> None:
    members = members_of(bundle)
    manifest = json.loads(members[MANIFEST])
    members["data/table.csv"] = b"a,b\n9,9\n"
    manifest["members"]["data/table.csv"]["sha256"] = "0" * 64
    members[MANIFEST] = json.dumps(manifest).encode()
    with pytest.raises(BundleError, match=r"member MANIFEST\.json was altered"):
        verify(repack(members, tmp_path / bundle.name))


def test_a_link_or_an_escaping_path_is_refused(bundle: Path, tmp_path: Path) -> None:
    members = members_of(bundle)
    escaping = repack({**members, "../evil.txt": b"x"}, tmp_path / "a" / bundle.name)
    with pytest.raises(BundleError, match=r"\.\./evil\.txt"):
        verify(escaping)
    linked = repack(members, tmp_path / "b" / bundle.name, links={"calls/link": "/etc/passwd"})
    with pytest.raises(BundleError, match=r"member calls/link is not a plain file"):
        verify(linked)


def test_the_rebuild_command_refuses_a_tampered_bundle_before_unpacking(
    bundle: Path, tmp_path: Path
) -> None:
    members = {**members_of(bundle), "calls/ab/extra.json": b"{}"}
    tampered = repack(members, tmp_path / "t" / bundle.name)
    proc = rebuild(tampered, tmp_path / "rebuilt")
    assert proc.returncode == 2
    assert "personascope bundle error" in proc.stderr
    assert "member calls/ab/extra.json is not in MANIFEST.json (added)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "rebuilt").exists()


def test_the_rebuild_command_wants_an_empty_folder(bundle: Path, tmp_path: Path) -> None:
    into = tmp_path / "busy"
    into.mkdir()
    (into / "something").write_text("x", encoding="utf-8")
    proc = rebuild(bundle, into)
    assert proc.returncode == 2
    assert "not empty" in proc.stderr
    assert sorted(p.name for p in into.iterdir()) == ["something"]
