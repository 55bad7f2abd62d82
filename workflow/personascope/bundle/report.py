"""Captions of `snakemake --report`: one caption file per study, written after the run.

Every table and figure is registered with Snakemake's `report()` (rules in workflow/rules/), all
of a study's items sharing `results/bundle/report/<study>.rst`. That file is a Jinja template
Snakemake renders for each item: it picks the item's entry by the job's output file names and
says what the item shows, which table or figure of which paper it reproduces, the protocol and
judge mode that produced it, and its parse-failure count — read from the run's own outputs,
which is why the captions are written by a job after the tables, not kept in the repository.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..io import write_text
from ..steps import step

PAPERS = {
    "personalens": "PersonaLens (Zhao et al. 2025)",
    "persistence": "Persistent Personas (Luz de Araujo et al., EACL 2026)",
    "personagym": "PersonaGym (Samuel et al. 2025)",
}

# item (file stem) -> (what it shows, what of the paper it reproduces); our own words.
ITEMS: dict[str, dict[str, tuple[str, str]]] = {
    "personalens": {
        "domains": (
            "Tasks and user-task dialogues per domain, with SD, MD and overall totals, "
            "over the whole release.",
            "the dataset's domain table",
        ),
        "demographics": (
            "Counts and percentages of the released profiles per demographic "
            "attribute and value (region by continent).",
            "the demographics table and the demographic distribution figure",
        ),
        "preferences": (
            "Per domain and preference: categorical or not, possible and generated "
            "values, Shannon evenness.",
            "the preference table",
        ),
        "main_results": (
            "Task completion rate (TCR), personalization (P), naturalness (N) and "
            "coherence (C) of each assistant, with bootstrap 95% CIs over users.",
            "the main results table and figure",
        ),
        "ablation": (
            "TCR and P for each assistant setting (vanilla, base, base+d/i/s, "
            "base+all), SD and MD.",
            "the ablation table and figure",
        ),
        "user_agent": (
            "Naturalness and coherence of the simulated user per assistant model.",
            "the user-agent quality table",
        ),
        "parse_failures": (
            "Judge answers per dimension: parsed, parsed after the re-ask, failed.",
            "no paper table (our account of the judge's failures)",
        ),
        "domain_results": (
            "TCR and P per domain; the figure marks the all-domain mean dashed.",
            "the per-domain results figure",
        ),
        "turn_level": (
            "Personalization judged after each assistant turn.",
            "the turn-level personalization curves",
        ),
        "dialogue_stats": (
            "Dialogues, turns per dialogue and tokens per turn, SD vs MD.",
            "the dialogue statistics table",
        ),
        "lexical_diversity": (
            "Dist-1, Dist-2, Ent-4 and Self-BLEU of the generated dialogues.",
            "the lexical diversity table",
        ),
        "agreement": (
            "Cohen's kappa judge vs each annotator, Fleiss' kappa among annotators.",
            "the judge-human agreement table",
        ),
    },
    "personagym": {
        "persona_score": (
            "PersonaScore and the five task scores per model (mean of the two judges).",
            "the paper's main PersonaScore table",
        ),
        "published_comparison": (
            "Our scores beside the published ones for the models the paper ran.",
            "the paper's published evaluations (evaluations/*/scores.json)",
        ),
        "relative_improvement": (
            "Each model's task scores relative to a reference model.",
            "the paper's relative-improvement comparison",
        ),
        "judge_agreement": (
            "Agreement between the two judges per task.",
            "no paper table (how far the judges agree)",
        ),
        "parse_failures": (
            "Grading answers per judge and task: parse and call failures.",
            "no paper table (our account of the judges' failures)",
        ),
        "score_vs_capability": (
            "PersonaScore against model capability.",
            "the paper's score-vs-capability figure",
        ),
    },
    "persistence": {
        "checkpoint_means": (
            "Mean of each metric (0-100) at each checkpoint, per model, role "
            "and dialogue type, with bootstrap 95% CIs.",
            "the values behind the metric-vs-round figures",
        ),
        "checkpoint_differences": (
            "Persona-directed minus goal-oriented, change from round 0, "
            "and persona minus baseline, with CIs.",
            "the difference and degradation panels",
        ),
        "length_cost_per_model": (
            "Last-round minus first-round metric per model (both dialogue types), with CIs.",
            "the length-cost bar charts",
        ),
        "personalization_cost_per_model": (
            "Persona minus baseline at round 0 per model.",
            "the personalization-cost bar charts",
        ),
        "type_difference_per_model": (
            "Persona-directed minus goal-oriented per model, pooled over rounds, with CIs.",
            "the per-model dialogue-type difference bars",
        ),
        "length_cost_regression": (
            "MixedLM diff ~ size per dataset: coefficient, 95% CI, p.",
            "the paper's length-cost regression table",
        ),
        "length_cost_regression_fits": (
            "How each length-cost model was fitted.",
            "no paper table (fit notes)",
        ),
        "personalization_cost_regression": (
            "MixedLM diff ~ size per dataset at round 0.",
            "the paper's personalization-cost regression table",
        ),
        "personalization_cost_regression_fits": (
            "How each personalization-cost model was fitted.",
            "no paper table (fit notes)",
        ),
        "mixed_length_effect": (
            "MixedLM rating ~ position per model and dialogue type.",
            "the length-effect coefficients",
        ),
        "mixed_persona_effect": (
            "MixedLM rating ~ persona (baseline: empty).",
            "the persona-effect coefficients",
        ),
        "fidelity_vs_round": (
            "Dialogue fidelity (knowledge, style, in-character) vs round, "
            "persona vs baseline per dialogue type.",
            "the fidelity figure",
        ),
        "fidelity_type_difference": (
            "Persona-directed minus goal-oriented fidelity with CIs.",
            "the dialogue-type difference figure",
        ),
        "fidelity_degradation": ("Fidelity change from round 0.", "the degradation figure"),
        "bfi_distance": (
            "BFI distance to the role's labels and to the baseline vs round.",
            "the BFI figure",
        ),
        "role_specific_win_rate": (
            "Role-specific instruction win rate vs round.",
            "the role-specific RoleBench figure",
        ),
        "general_win_rate": (
            "General instruction win rate vs round.",
            "the general RoleBench figure",
        ),
        "ifbench_accuracy": ("IFBench accuracy (strict and loose) vs round.", "the IFBench figure"),
        "xstest_refusal": (
            "XSTest refusal rate on safe and unsafe prompts vs round.",
            "the XSTest figure",
        ),
        "per_model_grid": ("Every metric vs round, one row per model.", "the per-model grid"),
        "per_persona_grid": ("Every metric vs round, one row per persona.", "the per-persona grid"),
        "mixed_model_coefficients": (
            "Length and persona effects with CIs.",
            "the mixed-model coefficient plots",
        ),
        "metrics_vs_tokens": (
            "Metrics against the cumulative tokens of the dialogue prefix.",
            "the dialogue-length control figure",
        ),
    },
}


# Documents every study writes (issue #10's protocol sheet, the judge report).
DOCUMENTS = {
    "protocol": (
        "The protocol sheet, written before any model call: the texts used (key, "
        "sha256, source), sampling per role, caps, samples, models with revisions, "
        "judge mode.",
        "the paper's protocol as configured for this run",
    ),
    "report": (
        "The judge report: parse, re-ask and constrained rates, score "
        "distributions, judge-human and judge-judge agreement.",
        "no paper table (how far the judge can be trusted)",
    ),
}
for _items in ITEMS.values():
    _items.update(DOCUMENTS)


@dataclasses.dataclass(frozen=True)
class Params:
    study: str
    judge: str
    judge_mode: str
    published_quirks: bool


def personalens_failures(tables: Path) -> dict[str, str]:
    """Per item: the parse failures counted in its table's `*_fail` columns."""
    counts = {}
    for name in ITEMS["personalens"]:
        csv = tables / f"{name}.csv"
        if not csv.is_file():
            continue
        frame = pd.read_csv(csv)
        if name == "parse_failures" and "parse_failure" in frame:
            failed, total = int(frame["parse_failure"].sum()), int(frame["items"].sum())
            counts[name] = f"{failed} of {total} judge answers"
            continue
        columns = [c for c in frame.columns if c.endswith("_fail")]
        if columns:
            counts[name] = f"{int(frame[columns].fillna(0).to_numpy().sum())} judge answers"
        else:
            counts[name] = "none (no judge scores in this item)"
    return counts


def persistence_failures(report: Path) -> dict[str, str]:
    """Every statistic reads the one ratings table: the run's failure report counts for all."""
    if not report.is_file():
        return {}
    summary = json.loads(report.read_text(encoding="utf-8"))
    failed, rated = summary["total_failed"], summary["total_rated"]
    text = f"{failed} of {failed + rated} judge answers (excluded from the ratings table)"
    return dict.fromkeys(ITEMS["persistence"], text)


def personagym_failures(table: Path) -> dict[str, str]:
    """Every PersonaGym score comes from the gradings its parse-failure table counts."""
    if not table.is_file():
        return {}
    frame = pd.read_csv(table)
    failed = int(frame["parse_failures"].sum()) if "parse_failures" in frame else 0
    return dict.fromkeys(ITEMS["personagym"], f"{failed} grading answers (never scored)")


def caption_template(entries: dict[str, str]) -> str:
    """Jinja that shows the entry of each distinct output stem of the job being rendered."""
    literal = json.dumps(entries, ensure_ascii=False, sort_keys=True)
    return (
        f"{{% set captions = {literal} %}}\n"
        "{% set ns = namespace(seen=[]) %}\n"
        "{% for f in snakemake.output %}\n"
        "{% set stem = (f | string).split('/')[-1].rsplit('.', 1)[0] %}\n"
        "{% if stem in captions and stem not in ns.seen %}\n"
        "{% set ns.seen = ns.seen + [stem] %}\n"
        "{{ captions[stem] }}\n\n"
        "{% endif %}\n"
        "{% endfor %}\n"
    )


def entry_text(name: str, shows: str, reproduces: str, protocol: str, failures: str) -> str:
    return (
        f"**{name}** — {shows}\n\n"
        f"Reproduces {reproduces}. {protocol}\n\n"
        f"Parse failures: {failures}."
    )


@step(Params)
def captions(inputs: dict[str, Any], outputs: dict[str, Any], params: Params) -> None:
    """`inputs["targets"]`: every target of the study (so this runs after all of them)."""
    study = params.study
    if study == "personalens":
        failures = personalens_failures(Path(paths.PERSONALENS) / "tables")
    elif study == "persistence":
        failures = persistence_failures(Path(paths.PERSISTENCE_FAILURE_REPORT))
    elif study == "personagym":
        failures = personagym_failures(Path(paths.personagym_table("parse_failures")))
    else:
        failures = {}
    quirks = "upstream's published quirks" if params.published_quirks else "principled defaults"
    protocol = (
        f"Protocol: {PAPERS[study]}, {quirks} (protocol sheet: results/{study}/protocol.json "
        f"where the run wrote one); judge {params.judge}, judge mode {params.judge_mode}."
    )
    entries = {
        name: entry_text(name, shows, reproduces, protocol, failures.get(name, "not counted"))
        for name, (shows, reproduces) in ITEMS.get(study, {}).items()
    }
    write_text(caption_template(entries), outputs["caption"])
