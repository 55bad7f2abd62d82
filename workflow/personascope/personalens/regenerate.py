"""Optional regeneration of persona inputs with an LLM, from our own prompt templates.

The release stays the default input; with `personalens.regenerate.enabled` the workflow writes
regenerated copies of the affinities, interaction summaries and scenarios (tasks and situations)
and the dialogues read those instead. Only the chosen users (and domains) are regenerated; every
other row is the release's. Each generated item is strictly parsed with one re-ask
(personascope.judging); an item that still fails keeps the release value and is recorded as a
failure in the generation log, so a regenerated table is never silently partial.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..engines import Sampling
from ..errors import ConfigError
from ..io import read_parquet, write_parquet
from ..judging import STATUS_FAILED, JudgeTask, ParseError, Parser, judge
from ..models import EngineSet, ModelJobParams
from ..steps import step
from .release import DEMOGRAPHICS, SITUATION_FIELDS
from .scenarios import select_users

log = logging.getLogger(__name__)


# The regeneration prompts are this project's own (an extension, not the paper's protocol), so
# their field layout is ours too.
DEMOGRAPHIC_LABELS = {
    "age": "Age",
    "gender": "Gender",
    "employment_status": "Employment status",
    "education": "Education",
    "marital_status": "Marital status",
    "english_proficiency": "English proficiency",
    "ethnicity": "Ethnicity",
    "religion": "Religion",
    "birth_country": "Country of birth",
    "reside_country": "Country of residence",
}


def format_demographics(demo: dict[str, Any]) -> str:
    return "\n".join(
        f"- {label}: {demo[k]}" for k, label in DEMOGRAPHIC_LABELS.items() if k in demo
    )


def format_affinities(affinities: dict[str, dict[str, Any]]) -> str:
    lines = []
    for domain, prefs in affinities.items():
        lines.append(f"{domain}:")
        for pref, value in prefs.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"- {pref}: {shown}")
    return "\n".join(lines)


PARTS = ("preferences", "interactions", "tasks", "situations")
SYSTEM = (
    "You write realistic user data for testing personal assistants. Follow the output format "
    "exactly and write nothing else."
)
LOG_SCHEMA = pa.schema(
    [
        ("part", pa.string()),
        ("item_id", pa.string()),
        ("raw_text", pa.string()),
        ("reask_text", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("value", pa.string()),
    ]
)


def labelled_lines(labels: list[str]) -> Parser:
    """Parse `Label: free text` lines, one per label (last occurrence wins)."""

    def parse(text: str) -> dict[str, str]:
        found = {}
        for label in labels:
            hits = re.findall(
                rf"^[\s*_#-]*{re.escape(label)}[\s*_]*:[\s*_]*(.+?)[\s*_]*$",
                text,
                re.IGNORECASE | re.MULTILINE,
            )
            if not hits or not hits[-1].strip():
                raise ParseError(f"no line of the form '{label}: ...'")
            found[label] = hits[-1].strip()
        return found

    parse.format_hint = "; ".join(f"`{label}: ...`" for label in labels)  # type: ignore[attr-defined]
    return parse


def preference_parser(categorical: bool, multiple: bool, possible: list[str]) -> Parser:
    """`Value: x` (or `Value: x, y` when several are allowed); categorical values must be among
    the schema's possible values (matched case-insensitively, returned in schema spelling)."""
    by_lower = {p.lower(): p for p in possible}
    line = labelled_lines(["Value"])

    def parse(text: str) -> list[str]:
        raw = line(text)["Value"]
        items = [v.strip().strip("\"'") for v in raw.split(",")] if multiple else [raw.strip()]
        items = [v for v in items if v]
        if not items:
            raise ParseError("empty value")
        if categorical:
            unknown = [v for v in items if v.lower() not in by_lower]
            if unknown:
                raise ParseError(f"{unknown} not among the possible values")
            items = [by_lower[v.lower()] for v in items]
        return items

    parse.format_hint = "`Value: ...`" + (" (comma-separated)" if multiple else "")  # type: ignore[attr-defined]
    return parse


def validating(parser: Parser) -> Parser:
    """personascope.judging stores numeric values only: hand it a check that returns 1.0 and
    re-parse the accepted text for the payload."""

    def check(text: str) -> float:
        parser(text)
        return 1.0

    check.format_hint = parser.format_hint  # type: ignore[attr-defined]
    return check


def message(prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]


def preference_prompt(demo: dict[str, Any], pref: Any) -> str:
    values = (
        f"Choose from: {', '.join(pref.possible_values)}."
        if pref.categorical
        else f"Examples: {', '.join(pref.possible_values)}."
    )
    many = "one or more values, comma-separated" if pref.multiple else "one value"
    return (
        f"A user:\n{format_demographics(demo)}\n\n"
        f"Domain: {pref.domain}\nPreference: {pref.preference} — {pref.description}\n{values}\n"
        f"Give this user's {many} as one line `Value: ...`."
    )


def interaction_prompt(demo: dict[str, Any], domain: str, prefs: dict[str, Any]) -> str:
    return (
        f"A user:\n{format_demographics(demo)}\n\nTheir preferences:\n"
        f"{format_affinities({domain: prefs})}\n\n"
        f"Write a three-sentence summary of this user's past interactions with an AI assistant "
        f"in the {domain} domain that reveals these preferences without listing them. Answer "
        "as one line `Summary: ...`."
    )


def situation_prompt(demo: dict[str, Any], row: Any) -> str:
    fields = "\n".join(f"{label}: ..." for label in SITUATION_FIELDS)
    return (
        f"A user:\n{format_demographics(demo)}\n\nTask: {row.description}\n\n"
        f"Describe a plausible situation in which this user starts the task, as five lines:\n"
        f"{fields}"
    )


def task_prompt(demo: dict[str, Any], row: Any) -> str:
    return (
        f"A user:\n{format_demographics(demo)}\n\nTask template: {row.description}\n"
        f"Template intent: {row.intent}\nTemplate goal: {row.goal}\n\n"
        "Rewrite the intent (what this user wants, in their own words) and the goal (what a "
        "successful conversation achieves) for this user, as two lines `Intent: ...` and "
        "`Goal: ...`."
    )


@dataclasses.dataclass(frozen=True)
class RegenerateParams(ModelJobParams):
    model: str
    users: Any
    domains: list[str] | None
    parts: list[str]
    sampling: dict[str, Any]


@step(RegenerateParams)
def regenerate_inputs(
    inputs: dict[str, Path], outputs: dict[str, Path], params: RegenerateParams
) -> None:
    profiles = read_parquet(inputs["profiles"])
    affinities = read_parquet(inputs["affinities"])
    interactions = read_parquet(inputs["interactions"])
    scenarios = read_parquet(inputs["scenarios"])
    schema = read_parquet(inputs["preference_schema"]).set_index(["domain", "preference"])
    parts = list(params.parts or PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ConfigError(f"personalens.regenerate.parts: unknown {sorted(unknown)}; known {PARTS}")
    users = set(select_users(sorted(profiles["user_id"]), params.users))
    domains = set(params.domains or affinities["domain"].unique())
    demo = {
        r["user_id"]: {k: r[k] for k in DEMOGRAPHICS}
        for _, r in profiles[profiles["user_id"].isin(users)].iterrows()
    }

    tasks: list[JudgeTask] = []
    targets: list[tuple[str, Any]] = []  # (part, row index in its table)
    if "preferences" in parts:
        for i, r in affinities.iterrows():
            if r.user_id in users and r.domain in domains:
                pref = schema.loc[(r.domain, r.preference)]
                pref_row = pref.copy()
                pref_row["domain"], pref_row["preference"] = r.domain, r.preference
                parser = preference_parser(
                    bool(pref.categorical), bool(pref.multiple), list(pref.possible_values)
                )
                tasks.append(
                    JudgeTask(
                        f"{r.user_id}/{r.domain}/{r.preference}",
                        "preferences",
                        message(preference_prompt(demo[r.user_id], pref_row)),
                        parser,
                    )
                )
                targets.append(("preferences", i))
    if "interactions" in parts:
        for i, r in interactions.iterrows():
            if r.user_id in users and r.domain in domains:
                mine = (affinities.user_id == r.user_id) & (affinities.domain == r.domain)
                own = affinities[mine]
                prefs = {
                    a.preference: list(a.values) if a.is_list else a.values[0]
                    for a in own.itertuples()
                }
                tasks.append(
                    JudgeTask(
                        f"{r.user_id}/{r.domain}",
                        "interactions",
                        message(interaction_prompt(demo[r.user_id], r.domain, prefs)),
                        labelled_lines(["Summary"]),
                    )
                )
                targets.append(("interactions", i))
    chosen = [
        i for i, r in scenarios.iterrows() if r.user_id in users and set(r.domains) <= domains
    ]
    for part, build, labels in (
        ("situations", situation_prompt, list(SITUATION_FIELDS)),
        ("tasks", task_prompt, ["Intent", "Goal"]),
    ):
        if part in parts:
            for i in chosen:
                r = scenarios.loc[i]
                tasks.append(
                    JudgeTask(
                        r.scenario_id,
                        part,
                        message(build(demo[r.user_id], r)),
                        labelled_lines(labels),
                    )
                )
                targets.append((part, i))
    log.info("regenerating %d items (%s) for %d users", len(tasks), parts, len(users))

    model = params.model or next(iter(params.models))
    with EngineSet.of(params) as engines:
        engine = engines.open(model)
        sampling = Sampling.from_config(engine.spec.generation, **(params.sampling or {}))
        results = (
            judge(
                engine,
                [
                    JudgeTask(t.item_id, t.dimension, t.messages, validating(t.parser))
                    for t in tasks
                ],
                sampling,
            )
            if tasks
            else []
        )

    affinities = affinities.copy()
    interactions = interactions.copy()
    scenarios = scenarios.copy()
    rows = []
    for (part, i), task, result in zip(targets, tasks, results, strict=True):
        value: Any = None
        if result.status != STATUS_FAILED:
            # judging keeps only numeric values; re-parse the accepted text for the payload
            text = result.reask_text if result.reask_text is not None else result.raw_text
            value = task.parser(text)
            if part == "preferences":
                affinities.at[i, "values"] = value
            elif part == "interactions":
                interactions.at[i, "summary"] = value["Summary"]
            elif part == "situations":
                for label, col in SITUATION_FIELDS.items():
                    scenarios.at[i, col] = value[label]
            else:
                scenarios.at[i, "intent"] = value["Intent"]
                scenarios.at[i, "goal"] = value["Goal"]
        rows.append(
            {
                "part": part,
                "item_id": task.item_id,
                "raw_text": result.raw_text,
                "reask_text": result.reask_text,
                "status": result.status,
                "error": result.error,
                "value": None if value is None else str(value),
            }
        )
    failed = sum(r["status"] == STATUS_FAILED for r in rows)
    log.info("%d items, %d kept the release value after a failed parse", len(rows), failed)
    write_parquet(affinities, outputs["affinities"])
    write_parquet(interactions, outputs["interactions"])
    write_parquet(scenarios, outputs["scenarios"])
    write_parquet(pa.Table.from_pylist(rows, schema=LOG_SCHEMA), outputs["log"])
