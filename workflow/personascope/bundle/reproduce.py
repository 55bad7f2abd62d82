"""REPRODUCE.md: the page a bundle's reader opens first (written for each bundle)."""

from __future__ import annotations

from typing import Any

MEMBERS = (
    ("MANIFEST.json", "sha256 of every other member; its own sha256 is the digest in the name"),
    ("REPRODUCE.md", "this page"),
    ("source/source.tar", "`git archive` of the workflow at the commit that made the results"),
    ("source/uncommitted.diff", "only for a bundle of a dirty checkout: the uncommitted changes"),
    ("config/config.json", "the resolved config of the run (every --configfile/--config merged)"),
    ("config/models.json", "the model registry of the run"),
    ("calls/<kk>/<key>.json", "the recorded model calls the run's jobs requested (call cache)"),
    ("inputs/<config key>/…", "pinned inputs whose license allows redistribution"),
    ("manifests/inputs.json", "every pinned input: URL, commit, license, sha256 of each file"),
    ("manifests/outputs.json", "every table, figure and Parquet file of the run, with sha256"),
    ("manifests/environment.json", "Python, platform, pip freeze, container image digests"),
    ("manifests/calls.json", "the model jobs (usage summaries) whose requests were collected"),
    ("reports/results/<study>/…", "protocol sheets and judge reports the run wrote"),
)


def reproduce_text(
    provenance: dict[str, Any],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    calls: int,
) -> str:
    held_back = [r for r in inputs if not r["redistributed"]]
    lines = [
        "# Reproduce these results",
        "",
        f"Workflow commit `{provenance['commit']}`"
        + (
            " plus the uncommitted changes in `source/uncommitted.diff`."
            if provenance["dirty"]
            else "."
        ),
        f"{len(outputs)} outputs, rebuilt from {calls} recorded model calls.",
        "",
        "## Rebuild (no GPU, no API key, no network, no model loaded)",
        "",
        "Set up the workflow's environment from the source in this bundle "
        "(`tar -xf source/source.tar && make setup`, or any environment with the same",
        "`manifests/environment.json`), then:",
        "",
        "```bash",
        "python -m personascope rebuild personascope-<digest>.tar.gz --into DIR"
        + (" --inputs DIR_WITH_INPUTS" if held_back else ""),
        "```",
        "",
        "It checks every member against `MANIFEST.json` (an altered, removed or added member is",
        "refused before anything runs), unpacks into the empty folder DIR, runs the workflow with",
        "every model on the `replay` engine (answers only from `calls/`; a request with no",
        "record is an error, never a live call), and prints `identical`, `differs` or `missing`",
        "for each file of `manifests/outputs.json`; exit status 0 only if all are identical.",
        "",
        "The bundle itself was made by `snakemake bundle` after the run.",
        "",
        "## Inputs",
        "",
    ]
    for record in inputs:
        where = "in this bundle" if record["redistributed"] else "NOT in this bundle"
        pin = record.get("commit") or record.get("revision") or "-"
        lines.append(
            f"- `{record['config_key']}`: {record.get('url', record['local'])} @ {pin}, "
            f"license {record['license']}, {len(record['files'])} file(s), {where}"
        )
    if held_back:
        lines += [
            "",
            "Inputs not in the bundle are found by file name in `--inputs DIR` (or at the path",
            "the run used, when it exists); each file is checked against its sha256 in",
            "`manifests/inputs.json` before anything runs.",
        ]
    lines += ["", "## What each file is", ""]
    lines += [f"- `{name}`: {what}" for name, what in MEMBERS]
    return "\n".join(lines) + "\n"
