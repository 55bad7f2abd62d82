"""Persistent Personas inputs: checksum-verified source files -> normalized Parquet tables.

Sources (pinned commits, see resources/checksums/*.sha256 and config `persistence.sources`):
persistent-personas (roles, interview, PRISM queries), InCharacter (BFI questionnaire, character
Big-Five labels), IFBench (test set), XSTest (prompts), and optionally RoleBench (HF hub, pinned
revision; no copy in shared data, so the rolebench datasets are skipped unless configured).

Tables written:
- roles.parquet     role, description, system_prompt (null for `empty`)
- scripts.parquet   dialogue_type, order, round (1-based), template (`{role}` not yet filled)
- benchmark_items.parquet dataset, role (null: asked under every role), item, item_index, prompt,
                    reference (RoleBench), trait (BFI), label (XSTest safe/unsafe)
- bfi_labels.parquet  role, trait, score (InCharacter annotation, 1-5), for the roles labelled
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import InputDataError
from ..io import write_parquet
from ..protocol import load_pack
from ..steps import step
from .formats import (
    BENCHMARKS,
    BFI_TRAITS,
    ITEMS_SCHEMA,
    LABELS_SCHEMA,
    ROLEBENCH_GENERAL,
    ROLEBENCH_ROLE_SPECIFIC,
    ROLES_SCHEMA,
    SCRIPTS_SCHEMA,
)
from .prompts import (
    BASELINE,
    GOAL_ORIENTED,
    ORIGINAL,
    PERSONA_DIRECTED,
    SHUFFLED,
    interview_script,
    shuffled,
    system_prompt,
)

log = logging.getLogger(__name__)

PACK_STUDY = "persistent-personas"  # resources/checksums/persistent-personas-protocol.sha256


class InputError(InputDataError):
    pass


# --- checksums ---------------------------------------------------------------------------------
def read_manifest(path: str | Path) -> dict[str, str]:
    """`sha256  upstream/path` lines -> {upstream path: sha256}."""
    if not Path(path).is_file():
        raise InputError(
            f"checksum manifest {path} not found: a pinned input is read only when verified "
            "(commit a '<sha256>  <upstream path>' manifest for it)"
        )
    out: dict[str, str] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise InputError(f"{path}:{lineno}: expected '<sha256>  <path>', got {line!r}")
        out[parts[1].strip()] = parts[0].lower()
    return out


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(file: str | Path, manifest: str | Path, upstream_path: str) -> None:
    expected = read_manifest(manifest).get(upstream_path)
    if expected is None:
        raise InputError(f"checksum manifest {manifest} has no entry for {upstream_path}")
    actual = sha256_of(file)
    if actual != expected:
        raise InputError(
            f"{file}: sha256 {actual} does not match {expected} pinned for {upstream_path} in "
            f"{manifest}; the file is not the pinned upstream version"
        )


# --- readers -----------------------------------------------------------------------------------
def read_json(path: str | Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what} as JSON ({exc})") from exc


def load_roles(path: str | Path, wanted: list[str]) -> dict[str, str]:
    roles = read_json(path, "roles")
    if not isinstance(roles, dict):
        raise InputError(f"{path}: expected an object role name -> description")
    missing = [r for r in wanted if r not in roles and r != BASELINE]
    if missing:
        raise InputError(
            f"config persistence.roles: {missing} not in {path} (known: {sorted(roles)})"
        )
    return {r: roles.get(r, "") for r in wanted}


def load_interview(path: str | Path) -> list[str]:
    data = read_json(path, "interview")
    for key in ("introductory_remark", "questions", "concluding_remark"):
        if key not in data:
            raise InputError(f"{path}: field {key!r} missing (expected the interview protocol)")
    return interview_script(data)


def load_queries(path: str | Path) -> list[str]:
    data = read_json(path, "instructions")
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise InputError(f"{path}: expected {{'questions': [user queries]}}")
    return list(data["questions"])


def scripts_table(interview: list[str], queries: list[str], seed: int) -> pd.DataFrame:
    """Both dialogue types in both orders. The interview's intro and closing stay in place when
    shuffled (they greet and thank); the questions between them are permuted."""
    lines = {
        (PERSONA_DIRECTED, ORIGINAL): interview,
        (PERSONA_DIRECTED, SHUFFLED): [
            interview[0],
            *shuffled(interview[1:-1], seed),
            interview[-1],
        ],
        (GOAL_ORIENTED, ORIGINAL): queries,
        (GOAL_ORIENTED, SHUFFLED): shuffled(queries, seed),
    }
    rows = [
        {"dialogue_type": t, "order": o, "round": i, "template": text}
        for (t, o), script in lines.items()
        for i, text in enumerate(script, 1)
    ]
    return pd.DataFrame(rows)


def sample(rows: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    """n rows drawn with a fixed seed, kept in source order; all rows when n is None."""
    if n is None or n >= len(rows):
        return rows
    keep = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in keep]


def bfi_items(path: str | Path, n: int | None, seed: int) -> list[dict[str, Any]]:
    data = read_json(path, "BFI questionnaire")
    try:
        questions = data["questions"]
        rows = [
            {"item": str(qid), "prompt": q["rewritten_en"], "trait": q["dimension"]}
            for qid, q in questions.items()
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path}: expected questions {{id: {{rewritten_en, dimension}}}} ({exc})"
        ) from exc
    bad = sorted({r["trait"] for r in rows} - set(BFI_TRAITS))
    if bad:
        raise InputError(f"{path}: unknown BFI dimension(s) {bad}")
    return sample(rows, n, seed)


def bfi_labels(path: str | Path, roles: list[str]) -> pd.DataFrame:
    data = read_json(path, "character labels")
    annotation = data.get("annotation", {}) if isinstance(data, dict) else {}
    rows = []
    for role in roles:
        entry = annotation.get(f"{role}-en")
        if not entry:
            continue
        for trait in BFI_TRAITS:
            rows.append(
                {"role": role, "trait": trait, "score": float(entry["BFI"][trait]["score"])}
            )
    return pd.DataFrame(rows, columns=["role", "trait", "score"])


def ifbench_items(path: str | Path, n: int | None, seed: int) -> list[dict[str, Any]]:
    rows = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rows.append({"item": str(rec["key"]), "prompt": rec["prompt"]})
        except (json.JSONDecodeError, KeyError) as exc:
            raise InputError(f"{path}:{lineno}: expected an IFBench record ({exc})") from exc
    return sample(rows, n, seed)


def xstest_items(path: str | Path, n: int | None, seed: int) -> list[dict[str, Any]]:
    """n safe and n unsafe prompts (both halves of the benchmark are scored)."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "prompt", "label"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"{path}: columns {sorted(missing)} missing")
        rows = [{"item": r["id"], "prompt": r["prompt"], "label": r["label"]} for r in reader]
    out = []
    for label in ("safe", "unsafe"):
        out += sample([r for r in rows if r["label"] == label], n, seed)
    return out


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    out = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not JSON ({exc})") from exc
    return out


def _field(rec: dict[str, Any], names: tuple[str, ...], path: Path, lineno: int) -> Any:
    for name in names:
        if name in rec:
            return rec[name]
    raise InputError(f"{path}: record {lineno} has none of the fields {list(names)}")


def _first_answer(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) else str(value)


def strip_addressee(instruction: str) -> str:
    """RoleBench role-specific instructions open with the character's name ('Gaston, ...');
    the baseline gets them without it."""
    rest = instruction.split(", ", maxsplit=1)[-1]
    return rest[:1].upper() + rest[1:]


# RoleBench's two files name the question and the reference answer differently: the fields of
# each, in the order they are tried.
ROLE_SPECIFIC_FIELDS = (("instruction", "question"), ("answer", "generated"))
GENERAL_FIELDS = (("question", "instruction"), ("generated", "answer"))


def rolebench_row(
    role: str,
    item: str,
    rec: dict[str, Any],
    fields: tuple[tuple[str, ...], tuple[str, ...]],
    path: Path,
    line: int,
) -> dict[str, Any]:
    """One RoleBench item: the question asked and the reference answer it is compared with."""
    prompt_fields, answer_fields = fields
    return {
        "role": role,
        "item": item,
        "prompt": str(_field(rec, prompt_fields, path, line)),
        "reference": _first_answer(_field(rec, answer_fields, path, line)),
    }


def rolebench_role_specific(
    files: dict[str, Path], roles: list[str], n: int | None, seed: int
) -> list[dict[str, Any]]:
    """Per role: `instruction` (or `question`) and the RoleBench reference answer (`answer`, or
    the first of `generated`). The baseline is asked the union of the sampled items."""
    out, union = [], []
    for role in [r for r in roles if r != BASELINE]:
        path = files[role]
        rows = []
        for i, rec in enumerate(read_jsonl(path), 1):
            rows.append(rolebench_row(role, f"{role}:{i - 1}", rec, ROLE_SPECIFIC_FIELDS, path, i))
        picked = sample(rows, n, seed)
        out += picked
        union += [{**r, "role": BASELINE, "prompt": strip_addressee(r["prompt"])} for r in picked]
    return out + (union if BASELINE in roles else [])


def rolebench_general(
    path: Path, roles: list[str], n: int | None, seed: int
) -> list[dict[str, Any]]:
    """RoleBench general instructions of the configured roles; reference = first generated
    answer. The baseline is asked each distinct sampled question once."""
    records = read_jsonl(path)
    out, seen = [], {}
    for role in [r for r in roles if r != BASELINE]:
        rows = []
        for i, rec in enumerate(records, 1):
            if rec.get("role") != role:
                continue
            rows.append(rolebench_row(role, f"{role}:{len(rows)}", rec, GENERAL_FIELDS, path, i))
        picked = sample(rows, n, seed)
        out += picked
        for r in picked:
            seen.setdefault(r["prompt"], {**r, "role": BASELINE, "item": f"empty:{len(seen)}"})
    return out + (list(seen.values()) if BASELINE in roles else [])


def items_table(parts: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    rows = []
    for dataset, items in parts.items():
        counters: dict[Any, int] = {}
        for rec in items:
            role = rec.get("role")
            index = counters.get(role, 0)
            counters[role] = index + 1
            rows.append(
                {
                    "dataset": dataset,
                    "role": role,
                    "item": rec["item"],
                    "item_index": index,
                    "prompt": rec["prompt"],
                    "reference": rec.get("reference"),
                    "trait": rec.get("trait"),
                    "label": rec.get("label"),
                }
            )
    return pd.DataFrame(rows, columns=ITEMS_SCHEMA.names)


def verify_rolebench(files: dict[str, Any], checks: list[dict[str, str]]) -> None:
    """RoleBench files are read only verified: each against its manifest entry."""
    wanted = {str(p) for p in [*files.get("role_specific", {}).values(), files.get("general")] if p}
    unchecked = sorted(wanted - {str(c["file"]) for c in checks})
    if unchecked:
        raise InputError(f"RoleBench file(s) {unchecked} have no checksum check; not read")
    for check in checks:
        verify(check["file"], check["manifest"], check["path"])
        log.info("verified RoleBench %s", check["path"])


@dataclasses.dataclass(frozen=True)
class NormalizeParams:
    checks: list[dict[str, str]]
    roles: list[str]
    datasets: list[str]
    items_per_dataset: int | None
    seed: int
    shuffle_seed: int
    rolebench_files: dict[str, Any]
    protocol: dict[str, Any]
    rolebench_checks: list[dict[str, str]]


@step(NormalizeParams)
def normalize(inputs: dict[str, Any], outputs: dict[str, Path], params: NormalizeParams) -> None:
    """Verify the pinned inputs, then write roles, scripts and benchmark items as Parquet."""
    for check in params.checks:
        verify(inputs[check["name"]], check["manifest"], check["path"])
        log.info("verified %s (%s)", check["name"], check["path"])
    verify_rolebench(params.rolebench_files or {}, params.rolebench_checks)
    roles = load_roles(inputs["roles"], params.roles)
    seed = params.seed
    n = params.items_per_dataset
    datasets = params.datasets
    unknown = sorted(set(datasets) - set(BENCHMARKS))
    if unknown:
        raise InputError(f"config persistence.datasets: unknown {unknown}; known {BENCHMARKS}")

    texts = load_pack(PACK_STUDY, params.protocol)
    role_rows = [
        {"role": r, "description": d, "system_prompt": system_prompt(texts, r, d)}
        for r, d in roles.items()
    ]
    write_parquet(pa.Table.from_pylist(role_rows, schema=ROLES_SCHEMA), outputs["roles"])
    scripts = scripts_table(
        load_interview(inputs["interview"]),
        load_queries(inputs["instructions"]),
        params.shuffle_seed,
    )
    write_parquet(
        pa.Table.from_pandas(scripts, SCRIPTS_SCHEMA, preserve_index=False), outputs["scripts"]
    )

    parts: dict[str, list[dict[str, Any]]] = {}
    if "bfi" in datasets:
        parts["bfi"] = bfi_items(inputs["bfi"], n, seed)
    rolebench = params.rolebench_files or {}
    if ROLEBENCH_ROLE_SPECIFIC in datasets and rolebench:
        files = {r: Path(p) for r, p in rolebench["role_specific"].items()}
        parts[ROLEBENCH_ROLE_SPECIFIC] = rolebench_role_specific(files, list(roles), n, seed)
    if ROLEBENCH_GENERAL in datasets and rolebench:
        parts[ROLEBENCH_GENERAL] = rolebench_general(
            Path(rolebench["general"]), list(roles), n, seed
        )
    if not rolebench and {ROLEBENCH_ROLE_SPECIFIC, ROLEBENCH_GENERAL} & set(datasets):
        log.warning("no RoleBench source configured: rolebench datasets skipped")
    if "ifbench" in datasets:
        parts["ifbench"] = ifbench_items(inputs["ifbench"], n, seed)
    if "xstest" in datasets:
        parts["xstest"] = xstest_items(inputs["xstest"], n, seed)
    items = items_table(parts)
    log.info("items per dataset: %s", items.groupby("dataset").size().to_dict())
    write_parquet(
        pa.Table.from_pandas(items, ITEMS_SCHEMA, preserve_index=False), outputs["benchmark_items"]
    )
    # every role of roles.json, not only the configured ones: a given ratings table
    # (persistence.ratings_table) may name any of them
    labels = bfi_labels(inputs["labels"], sorted(read_json(inputs["roles"], "roles")))
    write_parquet(
        pa.Table.from_pandas(labels, LABELS_SCHEMA, preserve_index=False), outputs["bfi_labels"]
    )
