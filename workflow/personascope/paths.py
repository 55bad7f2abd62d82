"""Every artifact path of the workflow, named in one place (relative to the working directory).

results/<study>/<stage>/... -> workflow/rules/<stage>.smk -> workflow/personascope/<module>.py
"""

from __future__ import annotations

RESULTS = "results"
LOGS = f"{RESULTS}/logs"

# --- PersonaLens -------------------------------------------------------------------------------
PERSONALENS = f"{RESULTS}/personalens"
PERSONALENS_ARCHIVE = "resources/personalens/PersonaLens-{commit}.tar.gz"
PERSONALENS_MANIFEST = "resources/checksums/personalens-{commit}.sha256"
PERSONALENS_RELEASE_TABLES = (
    "profiles",
    "affinities",
    "interests",
    "interactions",
    "scenarios",
    "task_templates",
    "preference_schema",
)
PERSONALENS_TABLE = f"{PERSONALENS}/data/{{table}}.parquet"
PERSONALENS_SAMPLE = f"{PERSONALENS}/data/sample.parquet"
PERSONALENS_DIALOGUES = f"{PERSONALENS}/dialogues/{{model}}/{{setting}}/shard-{{shard}}.parquet"
PERSONALENS_DIALOGUE_USAGE = (
    f"{PERSONALENS}/dialogues/{{model}}/{{setting}}/shard-{{shard}}.usage.json"
)
PERSONALENS_JUDGMENTS = (
    f"{PERSONALENS}/judge/{{judge}}/{{model}}/{{setting}}/shard-{{shard}}.parquet"
)
PERSONALENS_JUDGE_USAGE = (
    f"{PERSONALENS}/judge/{{judge}}/{{model}}/{{setting}}/shard-{{shard}}.usage.json"
)
PERSONALENS_RESULT_TABLE = f"{PERSONALENS}/tables/{{name}}.{{ext}}"
PERSONALENS_FIGURE = f"{PERSONALENS}/figures/{{name}}.{{ext}}"


def personalens_release_table(table: str) -> str:
    return PERSONALENS_TABLE.format(table=table)


def personalens_result_table(name: str, ext: str) -> str:
    return PERSONALENS_RESULT_TABLE.format(name=name, ext=ext)


def personalens_figure(name: str, ext: str) -> str:
    return PERSONALENS_FIGURE.format(name=name, ext=ext)


def log(*parts: str) -> str:
    return f"{LOGS}/" + "/".join(parts) + ".log"
