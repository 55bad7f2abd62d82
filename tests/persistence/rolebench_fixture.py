"""A tiny RoleBench, written by tests (RoleBench itself is only on the HF hub)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def write_rolebench(root: Path) -> dict:
    """A tiny RoleBench in its repository layout (field names as upstream's loader reads)."""
    spec = root / "instructions-eng"
    spec.mkdir(parents=True)
    for role in ("Gaston", "HAL 9000"):
        lines = [
            {"instruction": f"{role}, what is your favourite thing #{i}?", "answer": f"ans {i}"}
            for i in range(4)
        ]
        (spec / f"role-specific-{role}.jsonl").write_text(
            "".join(json.dumps(x) + "\n" for x in lines)
        )
    gen = root / "rolebench-eng/instruction-generalization/general"
    gen.mkdir(parents=True)
    rows = [
        {"role": role, "question": f"Explain tides ({q})", "generated": [f"{role} ref {q}", "x"]}
        for role in ("Gaston", "HAL 9000", "Sheldon")
        for q in range(3)
    ]
    (gen / "test.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    # Its checksum manifest: RoleBench files, like every pinned input, are read only verified.
    files = sorted(p for p in root.rglob("*.jsonl"))
    (root / "sha256").write_text(
        "".join(
            f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n"
            for p in files
        )
    )
    return {
        "role_specific": {r: spec / f"role-specific-{r}.jsonl" for r in ("Gaston", "HAL 9000")},
        "general": gen / "test.jsonl",
    }
