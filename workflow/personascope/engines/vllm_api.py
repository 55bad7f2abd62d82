"""The vLLM API our `vllm` engine codes against, read from a vLLM release's wheel without
installing it (vLLM needs CUDA): the parameters of `LLM.__init__`, `LLM.chat`, the engine
arguments `LLM(**kwargs)` forwards (`EngineArgs` fields), `SamplingParams` and
`StructuredOutputsParams`, extracted from the wheel's sources with `ast` (never imported).

    python -m personascope.engines.vllm_api WHEEL > resources/vllm/api-<version>.json

writes the snapshot the tests check the engine and its stand-in against (`make vllm-api`
downloads the pinned wheel, `pip download --no-deps vllm==$(cat containers/vllm-version.txt)`,
and checks the snapshot against it).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

SOURCES = {
    "llm": "vllm/entrypoints/llm.py",
    "sampling": "vllm/sampling_params.py",
    "engine_args": "vllm/engine/arg_utils.py",
}


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise LookupError(f"class {name} not found")


def _fields(node: ast.ClassDef) -> list[str]:
    """Annotated class attributes: the fields of a dataclass or msgspec Struct."""
    return [
        s.target.id
        for s in node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    ]


def _params(node: ast.ClassDef, method: str) -> dict[str, Any]:
    for f in node.body:
        if isinstance(f, ast.FunctionDef) and f.name == method:
            a = f.args
            names = [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs] if x.arg != "self"]
            return {"params": names, "var_keyword": a.kwarg is not None}
    raise LookupError(f"{node.name}.{method} not found")


def signatures(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as z:
        trees = {k: ast.parse(z.read(path).decode("utf-8")) for k, path in SOURCES.items()}
        version = next(
            (
                n.split("/")[0].removesuffix(".dist-info").split("-", 1)[1]
                for n in z.namelist()
                if n.endswith(".dist-info/METADATA")
            ),
            "",
        )
    sampling = trees["sampling"]
    classes = {node.name for node in sampling.body if isinstance(node, ast.ClassDef)}
    llm = _class(trees["llm"], "LLM")
    return {
        "vllm_version": version,
        "wheel": wheel.name,
        "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "LLM.__init__": _params(llm, "__init__"),
        "LLM.chat": _params(llm, "chat"),
        "EngineArgs": sorted(_fields(_class(trees["engine_args"], "EngineArgs"))),
        "SamplingParams": sorted(_fields(_class(sampling, "SamplingParams"))),
        "StructuredOutputsParams": sorted(_fields(_class(sampling, "StructuredOutputsParams"))),
        "GuidedDecodingParams_present": "GuidedDecodingParams" in classes,
    }


def main(argv: list[str]) -> int:
    """`WHEEL` prints the release's signatures (the snapshot); `WHEEL --check SNAPSHOT` exits 1
    when the committed snapshot differs from the wheel (`make vllm-api`)."""
    found = signatures(Path(argv[0]))
    if len(argv) == 3 and argv[1] == "--check":
        snapshot = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        if snapshot != found:
            differ = sorted(k for k in {*snapshot, *found} if snapshot.get(k) != found.get(k))
            print(f"{argv[2]} differs from {argv[0]} in {differ}", file=sys.stderr)
            return 1
        print(f"{argv[2]} matches {Path(argv[0]).name}")
        return 0
    json.dump(found, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
