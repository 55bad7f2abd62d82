"""The shared protocol-pack module: ast extraction, sha256 refusal, both ways of obtaining a pack.

Upstream-shaped files are written at test time from the shared packs themselves; no upstream
text is written into this file.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from personascope import protocol
from personascope.errors import ConfigError, ProtocolError
from personascope.protocol import extract_literals, load_pack, read_checksums

STUDIES = ("personalens", "persistent-personas", "personagym")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def pack_of(shared_data: Path, study: str) -> dict:
    return json.loads((shared_data / study / "protocol-literals.json").read_text(encoding="utf-8"))


def fstring_safe(text: str) -> bool:
    """True when every brace of `text` is a `{identifier}` field, so `f<repr>` rebuilds it."""
    stripped = PLACEHOLDER.sub("", text)
    fields = PLACEHOLDER.findall(text)
    return (
        bool(fields)
        and "{" not in stripped
        and "}" not in stripped
        and all(f.isidentifier() for f in fields)
    )


def literal_source(text: str, form: int, as_fstring: bool) -> str:
    """Python source of an expression whose value is `text`, in one of three literal forms."""
    if as_fstring:
        return "f" + repr(text)
    if form == 1 and len(text) > 1:  # implicit concatenation, as a long upstream prompt is written
        half = len(text) // 2
        return f"(\n    {text[:half]!r}\n    {text[half:]!r}\n)"
    if form == 2 and len(text) > 1:
        half = len(text) // 2
        return f"{text[:half]!r} + {text[half:]!r}"
    return repr(text)


def upstream_shaped(literals: dict[str, str], as_fstrings: bool) -> str:
    """A Python file whose literal assignments are exactly `literals` (qualname -> text)."""
    tree: dict = {}
    for qualname, text in literals.items():
        parts = qualname.split(".")
        if len(parts) >= 2 and parts[-2] == "self":
            scope, target = parts[:-2], "self." + parts[-1]
        else:
            scope, target = parts[:-1], parts[-1]
        node = tree
        for name in scope:
            node = node.setdefault(("scope", name), {})
        node[("assign", target)] = text
    lines = ['"""An upstream-shaped module written by the test."""', "import os", ""]
    counter = iter(range(10**6))

    def emit(node: dict, depth: int, in_function: bool) -> None:
        pad = "    " * depth
        lines.append(f"{pad}unrelated_{next(counter)} = os.getcwd()  # not literal: skipped")
        lines.append(f"{pad}number_{next(counter)} = 3  # not text: skipped")
        for (kind, name), value in node.items():
            if kind == "assign":
                expr = literal_source(value, next(counter) % 3, as_fstrings and fstring_safe(value))
                lines.append(f"{pad}{name} = {expr}")
                continue
            children_are_scopes = any(k == "scope" for k, _ in value)
            if children_are_scopes or in_function:
                lines.append(f"{pad}class {name}:")
                emit(value, depth + 1, False)
            else:
                args = "self" if any(n.startswith("self.") for _, n in value) else ""
                lines.append(f"{pad}def {name}({args}):")
                emit(value, depth + 1, True)
                lines.append(f"{pad}    return None")
        lines.append("")

    emit(tree, 0, False)
    return "\n".join(lines)


def by_file(literals: dict[str, str]) -> dict[str, dict[str, str]]:
    files: dict[str, dict[str, str]] = {}
    for key, text in literals.items():
        path, _, qualname = key.partition("::")
        files.setdefault(path, {})[qualname] = text
    return files


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("as_fstrings", [False, True])
def test_extraction_gives_the_pack_back(shared_data, study, as_fstrings):
    literals = pack_of(shared_data, study)["literals"]
    for path, texts in by_file(literals).items():
        source = upstream_shaped(texts, as_fstrings)
        expected = {f"{path}::{q}": t for q, t in texts.items()}
        assert extract_literals(source, path) == expected


def test_fstring_fields_keep_conversion_and_spec():
    source = 'def outer():\n    MESSAGE = f"a {name!r:>{width}} b {value:.2f} c {items[0]}"\n'
    assert extract_literals(source, "m.py") == {
        "m.py::outer.MESSAGE": "a {name!r:>{width}} b {value:.2f} c {items[0]}"
    }


def test_repeated_qualname_gets_its_line_and_compound_statements_keep_scope():
    source = 'X = "one"\nif True:\n    X = "two"\nelse:\n    X = "three"\nY = X + "no"\n'
    assert extract_literals(source, "m.py") == {
        "m.py::X": "one",
        "m.py::X@3": "two",
        "m.py::X@5": "three",
    }


def test_committed_checksums_cover_every_shared_literal(shared_data):
    for study in STUDIES:
        sums = read_checksums(protocol.REPO_ROOT / protocol.CHECKSUMS.format(study=study))
        pack = pack_of(shared_data, study)
        for key, text in pack["literals"].items():
            assert sums[key] == hashlib.sha256(text.encode("utf-8")).hexdigest(), key
        for path, digest in pack["source"]["files"].items():
            assert sums[path] == digest


def local_source(shared_data: Path, study: str) -> dict:
    pinned = pack_of(shared_data, study)["source"]
    return {
        "local": str(shared_data / study / "protocol-literals.json"),
        "repository": pinned["repository"],
        "commit": pinned["commit"],
        "files": list(pinned["files"]),
    }


def test_local_pack_hands_out_verified_texts_and_records_them(shared_data):
    source = local_source(shared_data, "personalens")
    pack = load_pack("personalens", source)
    key = next(iter(pack_of(shared_data, "personalens")["literals"]))
    text = pack.text(key)
    assert text == pack_of(shared_data, "personalens")["literals"][key]
    [used] = pack.used()
    assert used["key"] == key
    assert used["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert used["source"] == f"shared pack {source['local']}"
    with pytest.raises(ProtocolError, match="no_such_prompt"):
        pack.text("util/assistant_prompts.py::no_such_prompt")


def test_recording_gives_the_keys_of_one_block(shared_data):
    pack = load_pack("personalens", local_source(shared_data, "personalens"))
    first, second, third = sorted(pack_of(shared_data, "personalens")["literals"])[:3]
    pack.text(first)
    with pack.recording() as keys:
        pack.text(second)
        pack.text(third)
        pack.text(second)
    assert keys == [second, third]
    assert [u["key"] for u in pack.used()] == sorted([first, second, third])


def test_a_changed_text_is_refused_naming_its_key(shared_data, tmp_path):
    pack = pack_of(shared_data, "persistent-personas")
    key = sorted(pack["literals"])[0]
    pack["literals"][key] += " "
    altered = tmp_path / "protocol-literals.json"
    altered.write_text(json.dumps(pack), encoding="utf-8")
    source = local_source(shared_data, "persistent-personas") | {"local": str(altered)}
    loaded = load_pack("persistent-personas", source)
    with pytest.raises(ProtocolError, match=re.escape(key)):
        loaded.text(key)
    assert loaded.used() == []


def test_plain_upstream_files_are_checked_by_sha256(shared_data, tmp_path):
    source = local_source(shared_data, "personagym")
    pack = load_pack("personagym", source)
    rubric = "rubrics/Toxicity.txt"
    assert pack.file_text(rubric) == (shared_data / "personagym" / rubric).read_text()
    copy = tmp_path / "personagym"
    shutil.copytree(shared_data / "personagym" / "rubrics", copy / "rubrics")
    shutil.copy(shared_data / "personagym" / "protocol-literals.json", copy)
    (copy / rubric).write_text("changed\n")
    altered = load_pack("personagym", source | {"local": str(copy / "protocol-literals.json")})
    with pytest.raises(ProtocolError, match=re.escape(rubric)):
        altered.file_text(rubric)


def test_pack_pinned_to_another_commit_is_refused(shared_data):
    source = local_source(shared_data, "personalens") | {"commit": "0" * 40}
    with pytest.raises(ProtocolError, match="commit"):
        load_pack("personalens", source)


def test_download_path_extracts_the_same_texts(shared_data, tmp_path, monkeypatch):
    """Offline stand-in for the network: 'downloads' serve upstream-shaped files built here."""
    study = "personagym"
    pack = pack_of(shared_data, study)
    served = tmp_path / "served"
    files = {}
    for path, texts in by_file(pack["literals"]).items():
        body = upstream_shaped(texts, as_fstrings=True).encode("utf-8")
        (served / path).parent.mkdir(parents=True, exist_ok=True)
        (served / path).write_bytes(body)
        files[path] = hashlib.sha256(body).hexdigest()
    committed = read_checksums(protocol.REPO_ROOT / protocol.CHECKSUMS.format(study=study))
    sums = {k: v for k, v in committed.items() if "::" in k} | files
    checksums = tmp_path / f"{study}-protocol.sha256"
    checksums.write_text(protocol.checksum_lines(sums))
    urls = []

    def fake_download(url: str, out: Path, **_: object) -> None:
        urls.append(url)
        prefix = f"https://raw.githubusercontent.com/{pack['source']['repository']}/"
        assert url.startswith(prefix + pack["source"]["commit"] + "/")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(served / url.split(pack["source"]["commit"] + "/", 1)[1], out)

    monkeypatch.setattr("personascope.download.download", fake_download)
    source = {
        "local": None,
        "repository": pack["source"]["repository"],
        "commit": pack["source"]["commit"],
        "files": list(files),
    }
    loaded = load_pack(study, source, checksums=checksums, cache=tmp_path / "cache")
    assert len(urls) == len(files)
    for key, text in pack["literals"].items():
        assert loaded.text(key) == text
    assert {u["source"] for u in loaded.used()} == {
        f"upstream {pack['source']['repository']}@{pack['source']['commit']}"
    }
    # a cached copy is reused; a tampered one is fetched again and then refused if still wrong
    load_pack(study, source, checksums=checksums, cache=tmp_path / "cache")
    assert len(urls) == len(files)
    first = next(iter(files))
    (served / first).write_text("X = 'tampered'\n")
    (tmp_path / "cache" / pack["source"]["commit"] / first).write_text("tampered\n")
    with pytest.raises(ProtocolError, match=re.escape(first)):
        load_pack(study, source, checksums=checksums, cache=tmp_path / "cache")


def test_source_without_local_or_pin_is_a_config_error():
    with pytest.raises(ConfigError, match=r"personalens\.protocol"):
        load_pack("personalens", {"local": None, "repository": "a/b", "commit": None})


def test_sheet_is_sorted_json_and_readable_markdown(tmp_path):
    sheet = {
        "study": "demo",
        "texts": [{"key": "f.py::A", "sha256": "0" * 64, "source": "shared pack x"}],
        "sampling": {"user": {"temperature": 0.5, "max_tokens": 800}},
    }
    protocol.write_sheet(sheet, tmp_path / "p.json", tmp_path / "p.md")
    assert json.loads((tmp_path / "p.json").read_text()) == sheet
    assert list(json.loads((tmp_path / "p.json").read_text())) == sorted(sheet)
    md = (tmp_path / "p.md").read_text()
    assert "## sampling" in md and "f.py::A" in md and "800" in md
