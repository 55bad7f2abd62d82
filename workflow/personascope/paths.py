"""Every artifact path of the workflow, named in one place (relative to the working directory).

results/<study>/<stage>/... -> workflow/rules/<stage>.smk -> workflow/personascope/<module>.py
"""

from __future__ import annotations

RESULTS = "results"
LOGS = f"{RESULTS}/logs"


def protocol_sheet(study_root: str) -> tuple[str, str, str]:
    """A study's protocol sheet (JSON, Markdown) and its example requests, at the top of its
    results: what would run, written before any model call."""
    return (
        f"{study_root}/protocol.json",
        f"{study_root}/protocol.md",
        f"{study_root}/protocol_examples.jsonl",
    )


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
# the protocol sheet (issue #12): what would run, written before any model call
PERSONALENS_PROTOCOL, PERSONALENS_PROTOCOL_MD, PERSONALENS_PROTOCOL_EXAMPLES = protocol_sheet(
    PERSONALENS
)
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
PERSONALENS_JUDGE_REPORT = f"{PERSONALENS}/judge/report.{{ext}}"
PERSONALENS_RESULT_TABLE = f"{PERSONALENS}/tables/{{name}}.{{ext}}"
PERSONALENS_FIGURE = f"{PERSONALENS}/figures/{{name}}.{{ext}}"
# issue #4: every table and figure of the study (figure <name> is drawn from table <name>)
PERSONALENS_DATASET_TABLES = ("domains", "demographics", "preferences")
PERSONALENS_JUDGE_TABLES = (
    "main_results",
    "ablation",
    "user_agent",
    "parse_failures",
    "domain_results",
    "turn_level",
)
PERSONALENS_DIALOGUE_TABLES = ("dialogue_stats", "lexical_diversity")
PERSONALENS_FIGURES = ("main_results", "ablation", "demographics", "domain_results", "turn_level")
# optional LLM regeneration of the persona inputs (config personalens.regenerate)
PERSONALENS_REGENERATED = f"{PERSONALENS}/data/regenerated/{{table}}.parquet"
PERSONALENS_REGENERATED_TABLES = ("affinities", "interactions", "scenarios")


def personalens_release_table(table: str) -> str:
    return PERSONALENS_TABLE.format(table=table)


def personalens_result_table(name: str, ext: str) -> str:
    return PERSONALENS_RESULT_TABLE.format(name=name, ext=ext)


def personalens_figure(name: str, ext: str) -> str:
    return PERSONALENS_FIGURE.format(name=name, ext=ext)


# --- the plan (issue #17): what the config costs, before it runs ------------------------------
PLAN_JSON = f"{RESULTS}/plan/plan.json"
PLAN_MD = f"{RESULTS}/plan/plan.md"


def log(*parts: str) -> str:
    return f"{LOGS}/" + "/".join(parts) + ".log"


# --- Persistent Personas -----------------------------------------------------------------------
PERSISTENCE = f"{RESULTS}/persistence"
# pinned upstream files downloaded when a source has no `local` copy: {source}/{commit}/{file}
PERSISTENCE_DOWNLOAD = "resources/persistence/{source}/{commit}/{file}"
PERSISTENCE_MANIFEST = "resources/checksums/{name}-{commit}.sha256"
PERSISTENCE_DATA_TABLES = ("roles", "scripts", "benchmark_items", "bfi_labels")
PERSISTENCE_DATA = f"{PERSISTENCE}/data/{{table}}.parquet"
PERSISTENCE_DIALOGUES = f"{PERSISTENCE}/dialogues/{{model}}.parquet"
PERSISTENCE_DIALOGUE_USAGE = f"{PERSISTENCE}/dialogues/{{model}}.usage.json"
PERSISTENCE_CONDITIONED = f"{PERSISTENCE}/conditioned/{{model}}/responses.parquet"
PERSISTENCE_OVERFLOW = f"{PERSISTENCE}/conditioned/{{model}}/context_overflow.parquet"
PERSISTENCE_CONDITIONED_USAGE = f"{PERSISTENCE}/conditioned/{{model}}/usage.json"
PERSISTENCE_JUDGMENTS = f"{PERSISTENCE}/judge/{{judge}}/{{model}}/{{stage}}.parquet"
PERSISTENCE_JUDGE_USAGE = f"{PERSISTENCE}/judge/{{judge}}/{{model}}/{{stage}}.usage.json"
PERSISTENCE_JUDGE_STAGES = ("dialogues", "conditioned")
PERSISTENCE_JUDGE_REPORT = f"{PERSISTENCE}/judge/report.{{ext}}"
PERSISTENCE_IFBENCH = f"{PERSISTENCE}/ifbench/{{model}}.parquet"
PERSISTENCE_IFBENCH_REPORT = f"{PERSISTENCE}/ifbench/{{model}}.report.json"
PERSISTENCE_PROTOCOL_JSON, PERSISTENCE_PROTOCOL_MD, PERSISTENCE_PROTOCOL_EXAMPLES = protocol_sheet(
    PERSISTENCE
)
PERSISTENCE_HUMAN_JUDGMENTS = f"{PERSISTENCE}/judge/{{judge}}/human_samples.parquet"
PERSISTENCE_HUMAN_USAGE = f"{PERSISTENCE}/judge/{{judge}}/human_samples.usage.json"
PERSISTENCE_JUDGE_HUMAN_AGREEMENT = f"{PERSISTENCE}/tables/judge_human_agreement.csv"
PERSISTENCE_RATINGS = f"{PERSISTENCE}/ratings/ratings.parquet"
PERSISTENCE_FAILURES = f"{PERSISTENCE}/ratings/failures.parquet"
PERSISTENCE_FAILURE_REPORT = f"{PERSISTENCE}/ratings/failures.json"


def persistence_data(table: str) -> str:
    return PERSISTENCE_DATA.format(table=table)


# --- Persistent Personas: statistics, tables and figures (issue #5 part B) ----------------------
# The statistics read one ratings table: PERSISTENCE_RATINGS, or config persistence.ratings_table.
PERSISTENCE_OBSERVATIONS = f"{PERSISTENCE}/stats/observations.parquet"
PERSISTENCE_COVERAGE = f"{PERSISTENCE}/stats/coverage.json"
PERSISTENCE_TABLE = f"{PERSISTENCE}/tables/{{name}}.{{ext}}"
PERSISTENCE_FIGURE = f"{PERSISTENCE}/figures/{{name}}.{{ext}}"
# table name -> the extensions written
PERSISTENCE_TABLES = {
    "checkpoint_means": ("csv", "tex"),
    "checkpoint_differences": ("csv", "tex"),
    "length_cost_per_model": ("csv",),
    "personalization_cost_per_model": ("csv",),
    "type_difference_per_model": ("csv",),
    "length_cost_regression": ("csv", "tex"),
    "length_cost_regression_fits": ("csv",),
    "personalization_cost_regression": ("csv", "tex"),
    "personalization_cost_regression_fits": ("csv",),
    "mixed_length_effect": ("csv", "tex"),
    "mixed_persona_effect": ("csv", "tex"),
}
# what a figure reads: input name -> table (csv), or "observations" (the Parquet above)
PERSISTENCE_FIGURE_SOURCES = {
    "means": "checkpoint_means",
    "differences": "checkpoint_differences",
    "length_cost": "length_cost_per_model",
    "personalization_cost": "personalization_cost_per_model",
    "type_difference": "type_difference_per_model",
    "length_effect": "mixed_length_effect",
    "persona_effect": "mixed_persona_effect",
    "observations": "observations",
}
# figure name -> the inputs it reads (keys of PERSISTENCE_FIGURE_SOURCES)
PERSISTENCE_FIGURES = {
    "fidelity_vs_round": ("means",),
    "fidelity_type_difference": ("differences",),
    "fidelity_degradation": ("differences",),
    "bfi_distance": ("means", "differences"),
    "role_specific_win_rate": ("means", "differences"),
    "general_win_rate": ("means", "differences"),
    "ifbench_accuracy": ("means", "differences"),
    "xstest_refusal": ("means", "differences"),
    "length_cost_per_model": ("length_cost",),
    "personalization_cost_per_model": ("personalization_cost",),
    "type_difference_per_model": ("type_difference",),
    "per_model_grid": ("means",),
    "per_persona_grid": ("observations",),
    "mixed_model_coefficients": ("length_effect", "persona_effect"),
    "metrics_vs_tokens": ("observations",),
}


def persistence_table(name: str, ext: str) -> str:
    return PERSISTENCE_TABLE.format(name=name, ext=ext)


def persistence_figure(name: str, ext: str) -> str:
    return PERSISTENCE_FIGURE.format(name=name, ext=ext)


def persistence_figure_source(source: str) -> str:
    if source == "observations":
        return PERSISTENCE_OBSERVATIONS
    return persistence_table(PERSISTENCE_FIGURE_SOURCES[source], "csv")


# --- the reproduction bundle (issue #16) ---------------------------------------------------------
# results/bundle/personascope-<digest>.tar.gz, named by the digest of its manifest; the index
# (the rule's output) says which bundle the last `snakemake bundle` wrote.
BUNDLE_DIR = f"{RESULTS}/bundle"
BUNDLE_INDEX = f"{BUNDLE_DIR}/latest.json"
# `snakemake --report`: each study's caption template, written after its tables and figures
REPORT_CAPTION = f"{BUNDLE_DIR}/report/{{study}}.rst"


# --- PersonaGym (issue #15) --------------------------------------------------------------------
PERSONAGYM = f"{RESULTS}/personagym"
PERSONAGYM_PROTOCOL_JSON, PERSONAGYM_PROTOCOL_MD, PERSONAGYM_PROTOCOL_EXAMPLES = protocol_sheet(
    PERSONAGYM
)
PERSONAGYM_QUESTIONS = f"{PERSONAGYM}/questions/questions.parquet"
PERSONAGYM_QUESTION_ATTEMPTS = f"{PERSONAGYM}/questions/attempts.json"
PERSONAGYM_QUESTION_USAGE = f"{PERSONAGYM}/questions/usage.json"
PERSONAGYM_ANSWERS = f"{PERSONAGYM}/answers/{{model}}.parquet"
PERSONAGYM_ANSWER_USAGE = f"{PERSONAGYM}/answers/{{model}}.usage.json"
PERSONAGYM_EXAMPLES = f"{PERSONAGYM}/examples/examples.parquet"
PERSONAGYM_EXAMPLE_USAGE = f"{PERSONAGYM}/examples/usage.json"
# {slot}: judge1 | judge2 (the two judges may be the same registry model)
PERSONAGYM_GRADING = f"{PERSONAGYM}/grading/{{slot}}/{{model}}.parquet"
PERSONAGYM_GRADING_USAGE = f"{PERSONAGYM}/grading/{{slot}}/{{model}}.usage.json"
PERSONAGYM_JUDGE_SLOTS = ("judge1", "judge2")
PERSONAGYM_JUDGE_REPORT = f"{PERSONAGYM}/judge/report.{{ext}}"
PERSONAGYM_TASK_SCORES = f"{PERSONAGYM}/scores/{{model}}/tasks.parquet"
PERSONAGYM_PERSONA_SCORES = f"{PERSONAGYM}/scores/{{model}}/personas.parquet"
PERSONAGYM_TABLE = f"{PERSONAGYM}/tables/{{name}}.csv"
PERSONAGYM_TABLES = (
    "persona_score",
    "published_comparison",
    "relative_improvement",
    "judge_agreement",
    "parse_failures",
)
PERSONAGYM_FIGURE = f"{PERSONAGYM}/figures/{{name}}.{{ext}}"
PERSONAGYM_FIGURES = ("score_vs_capability",)


def personagym_table(name: str) -> str:
    return PERSONAGYM_TABLE.format(name=name)


def personagym_figure(name: str, ext: str) -> str:
    return PERSONAGYM_FIGURE.format(name=name, ext=ext)
