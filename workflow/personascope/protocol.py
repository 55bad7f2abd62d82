"""Protocol packs: the upstream texts a study sends, obtained as data and checked by sha256.

One definition for the three studies. A study's config block
`protocol: {local, repository, commit, files}` says where its texts come from:

- `local`: a protocol pack JSON (format: `../shared/data/SOURCES.md`, "Protocol texts");
- otherwise (a networked machine): each upstream file in `files` is downloaded at the pinned
  commit, its sha256 checked against the committed manifest, and its literals extracted with
  `ast` (the file is parsed, never imported or executed) by the pack's own qualname rules.

Every text a study sends goes through `Pack.text` (or `Pack.file_text` for plain upstream files),
which refuses a text whose sha256 is not the one committed in
`resources/checksums/<study>-protocol.sha256`, and records it for the protocol sheet.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputDataError, ProtocolError
from .io import write_json, write_text

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKSUMS = "resources/checksums/{study}-protocol.sha256"
# where downloaded upstream files are kept (relative to the repository root)
UPSTREAM_CACHE = "resources/{study}/upstream"
RAW_URL = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- extraction --------------------------------------------------------------------------------


def _fstring_template(node: ast.JoinedStr) -> str:
    """An f-string as a template: literal parts verbatim, each field as `{expr[!c][:spec]}`."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
            continue
        assert isinstance(value, ast.FormattedValue)
        text = ast.unparse(value.value)
        if value.conversion != -1:
            text += "!" + chr(value.conversion)
        if value.format_spec is not None:
            assert isinstance(value.format_spec, ast.JoinedStr)
            text += ":" + _fstring_template(value.format_spec)
        parts.append("{" + text + "}")
    return "".join(parts)


def _literal_text(node: ast.expr) -> str | None:
    """The text of an all-literal string expression (implicit or `+` concatenation), else None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return _fstring_template(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_text(node.left), _literal_text(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return f"{target.value.id}.{target.attr}"
    return None


def extract_literals(source_code: str, path: str) -> dict[str, str]:
    """`<path>::<qualname>` -> text for every assignment of literal text in `source_code`.

    qualname: `NAME` at module level, `Outer.inner.NAME` inside classes/functions,
    `Class.method.self.attr` for an attribute assignment. A qualname seen again gets `@<line>`
    (the first keeps the plain name). The code is parsed, never executed.
    """
    try:
        tree = ast.parse(source_code, filename=path)
    except SyntaxError as exc:
        raise InputDataError(f"not parseable Python: {exc}", where=path) from exc
    found: dict[str, str] = {}

    def visit(body: list[ast.stmt], scope: tuple[str, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(stmt.body, (*scope, stmt.name))
                continue
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                text = _literal_text(stmt.value)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    name = _target_name(target)
                    if text is None or name is None:
                        continue
                    key = f"{path}::{'.'.join((*scope, name))}"
                    if key in found:
                        key = f"{key}@{stmt.lineno}"
                    found[key] = text
            # compound statements (if/for/while/with/try/match) keep their enclosing scope
            for attr in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, attr, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    visit(inner, scope)
            for handler in getattr(stmt, "handlers", []) or []:
                visit(handler.body, scope)
            for case in getattr(stmt, "cases", []) or []:
                visit(case.body, scope)

    visit(tree.body, ())
    return found


# --- checksums ---------------------------------------------------------------------------------


def read_checksums(path: Path) -> dict[str, str]:
    """`<sha256>  <key>` lines -> {key: sha256}."""
    if not path.is_file():
        raise ProtocolError("no committed checksums for this protocol", where=path)
    sums = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, key = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ProtocolError(
                f"line {number} is not `<sha256>  <key>`", where=path, hint="regenerate it"
            )
        sums[key] = digest
    return sums


def checksum_lines(entries: dict[str, str]) -> str:
    """The manifest text for {key: sha256} (maintainers, when pinning a new commit)."""
    return "".join(f"{digest}  {key}\n" for key, digest in sorted(entries.items()))


# --- the pack ----------------------------------------------------------------------------------


@dataclass
class Pack:
    study: str
    literals: dict[str, str]
    source: str  # "shared pack <path>" or "upstream <repo>@<commit>"
    checksums: dict[str, str]
    checksums_path: Path
    file_root: Path | None = None  # local copies of plain upstream files
    upstream: dict[str, Any] | None = None  # {repository, commit, cache} when downloading
    _used: dict[str, dict[str, str]] = field(default_factory=dict)
    _recorders: list[list[str]] = field(default_factory=list)

    def _verify(self, key: str, text: str) -> str:
        expected = self.checksums.get(key)
        if expected is None:
            raise ProtocolError(
                f"protocol text {key!r} has no committed sha256",
                where=self.checksums_path,
                hint="add it when pinning the protocol; never send an unchecked text",
            )
        actual = sha256_text(text)
        if actual != expected:
            raise ProtocolError(
                f"protocol text {key!r} from {self.source} has sha256 {actual}, "
                f"committed {expected}",
                where=self.checksums_path,
            )
        self._used[key] = {"key": key, "sha256": actual, "source": self.source}
        for keys in self._recorders:
            if key not in keys:
                keys.append(key)
        return text

    def text(self, key: str) -> str:
        """The literal `key` (`<path>::<qualname>`), verified against its committed sha256."""
        if key not in self.literals:
            raise ProtocolError(
                f"protocol text {key!r} is not in the pack ({len(self.literals)} texts)",
                where=self.source,
            )
        return self._verify(key, self.literals[key])

    def file_text(self, path: str) -> str:
        """A plain upstream file (e.g. a rubric) by its upstream path, verified by sha256."""
        if self.upstream is not None:
            local = _download_upstream(self.study, self.upstream, path, self.checksums)
        elif self.file_root is not None:
            local = self.file_root / path
        else:
            raise ProtocolError(f"no source for upstream file {path!r}", where=self.source)
        if not local.is_file():
            raise InputDataError(f"upstream file {path!r} is missing", where=local)
        # bytes decoded as is: newline translation would change the text and its sha256
        return self._verify(path, local.read_bytes().decode("utf-8"))

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[str]]:
        """The keys handed out inside the block, in order of first use (e.g. per request)."""
        keys: list[str] = []
        self._recorders.append(keys)
        try:
            yield keys
        finally:
            self._recorders.remove(keys)

    def used(self) -> list[dict[str, str]]:
        """Every text handed out so far: [{key, sha256, source}], sorted by key."""
        return [self._used[key] for key in sorted(self._used)]


def _download_upstream(
    study: str, upstream: dict[str, Any], path: str, checksums: dict[str, str]
) -> Path:
    from .download import download

    repository, commit = upstream["repository"], upstream["commit"]
    target = Path(upstream["cache"]) / commit / path
    expected = checksums.get(path)
    if expected is None:
        raise ProtocolError(f"upstream file {path!r} has no committed sha256", where=study)
    if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != expected:
        download(RAW_URL.format(repository=repository, commit=commit, path=path), target)
    actual = hashlib.sha256(target.read_bytes()).hexdigest()
    if actual != expected:
        raise ProtocolError(
            f"upstream file {path!r} at {repository}@{commit} has sha256 {actual}, "
            f"committed {expected}",
            where=target,
        )
    return target


def _source_files(source: dict[str, Any]) -> list[str]:
    files = source.get("files") or []
    if isinstance(files, dict):
        return list(files)
    return [str(f) for f in files]


def load_pack(
    study: str,
    source: dict[str, Any],
    checksums: Path | None = None,
    cache: Path | None = None,
) -> Pack:
    """The study's protocol pack from `source` (its config block `protocol:`).

    `checksums` and `cache` (where downloads go) default to the repository's own places.
    """
    checksums_path = checksums or REPO_ROOT / CHECKSUMS.format(study=study)
    sums = read_checksums(checksums_path)
    local = source.get("local")
    if local:
        pack_path = Path(local)
        if not pack_path.is_absolute():
            pack_path = REPO_ROOT / pack_path
        try:
            pack = json.loads(pack_path.read_text(encoding="utf-8"))
            literals = pack["literals"]
            pinned = pack["source"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputDataError(
                f"not a protocol pack ({exc})",
                where=pack_path,
                hint="expected {source: {repository, commit, files}, literals: {key: text}}",
            ) from exc
        for name in ("repository", "commit"):
            if source.get(name) and pinned.get(name) != source[name]:
                raise ProtocolError(
                    f"pack pins {name} {pinned.get(name)!r}, config asks for {source[name]!r}",
                    where=pack_path,
                )
        return Pack(
            study=study,
            literals=dict(literals),
            source=f"shared pack {local}",
            checksums=sums,
            checksums_path=checksums_path,
            file_root=pack_path.parent,
        )
    missing = [name for name in ("repository", "commit") if not source.get(name)]
    if missing or not _source_files(source):
        raise ConfigError(
            f"protocol source needs `local` or repository, commit and files (missing: "
            f"{', '.join(missing) or 'files'})",
            where=f"{study}.protocol",
        )
    upstream = {
        "repository": source["repository"],
        "commit": source["commit"],
        "cache": cache or REPO_ROOT / UPSTREAM_CACHE.format(study=study),
    }
    literals: dict[str, str] = {}
    for path in _source_files(source):
        local_copy = _download_upstream(study, upstream, path, sums)
        literals.update(extract_literals(local_copy.read_bytes().decode("utf-8"), path))
    return Pack(
        study=study,
        literals=literals,
        source=f"upstream {upstream['repository']}@{upstream['commit']}",
        checksums=sums,
        checksums_path=checksums_path,
        upstream=upstream,
    )


# --- the protocol sheet ------------------------------------------------------------------------


def _markdown(value: Any, depth: int = 0) -> list[str]:
    pad = "  " * depth
    if isinstance(value, dict):
        lines = []
        for key in sorted(value):
            item = value[key]
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}- **{key}**:")
                lines += _markdown(item, depth + 1)
            else:
                lines.append(f"{pad}- **{key}**: {json.dumps(item, ensure_ascii=False)}")
        return lines
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [f"{pad}- " + ", ".join(json.dumps(v, ensure_ascii=False) for v in value)]
        lines = []
        for item in value:
            sub = _markdown(item, depth + 1)
            lines.append(f"{pad}- " + sub[0].lstrip().removeprefix("- "))
            lines += sub[1:]
        return lines
    return [f"{pad}- {json.dumps(value, ensure_ascii=False)}"]


def write_sheet(sheet: dict[str, Any], json_path: Path, md_path: Path, title: str = "") -> None:
    """The protocol sheet: sorted JSON and a readable Markdown rendering, both atomic."""
    write_json(sheet, json_path)
    heading = title or f"Protocol sheet: {sheet.get('study', json_path.parent.name)}"
    lines = [f"# {heading}", ""]
    for key in sorted(sheet):
        lines += [f"## {key}", ""]
        value = sheet[key]
        if isinstance(value, dict | list) and value:
            lines += _markdown(value)
        else:
            lines.append(json.dumps(value, ensure_ascii=False))
        lines.append("")
    write_text("\n".join(lines), md_path)
