"""Every table format of Persistent Personas, defined once: column types, the key of a scored
item, the Parquet schemas of each stage, the benchmark and ratings-table dataset names, and the
ratings-table format the README documents (tests/persistence/test_formats.py checks the README).

A schema lists its columns by name; each column's type is declared once, in COLUMN_TYPES, so
two stages that share a column cannot disagree on its type.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

COLUMN_TYPES: dict[str, pa.DataType] = {
    # the key of a scored item
    "model": pa.string(),
    "role": pa.string(),
    "judged_as": pa.string(),  # the persona whose rubric judged the answer (see RATINGS_COLUMNS)
    "dialogue_type": pa.string(),
    "order": pa.string(),
    "round": pa.int64(),
    "dataset": pa.string(),
    "item": pa.string(),
    # inputs
    "description": pa.string(),
    "system_prompt": pa.string(),
    "template": pa.string(),
    "item_index": pa.int64(),
    "prompt": pa.string(),
    "reference": pa.string(),
    "trait": pa.string(),
    "label": pa.string(),
    "score": pa.float64(),
    # model calls
    "user": pa.string(),
    "assistant": pa.string(),
    "response": pa.string(),
    "prompt_tokens": pa.int64(),
    "completion_tokens": pa.int64(),
    "prefix_tokens": pa.int64(),
    "finish_reason": pa.string(),
    "end_reason": pa.string(),
    "estimated_prompt_tokens": pa.int64(),
    "max_tokens": pa.int64(),
    "context_tokens": pa.int64(),
    "reason": pa.string(),
    # judgments and scores
    "judge_model": pa.string(),
    "truncated": pa.bool_(),
    "raw_text": pa.string(),
    "reask_text": pa.string(),
    "value": pa.float64(),
    "status": pa.string(),
    "error": pa.string(),
    "rating": pa.float64(),
    "instruction_id_list": pa.list_(pa.string()),
    "strict_follow_all": pa.bool_(),
    "strict_follow_list": pa.list_(pa.bool_()),
    "loose_follow_all": pa.bool_(),
    "loose_follow_list": pa.list_(pa.bool_()),
    "unverifiable": pa.list_(pa.string()),
}


def schema_of(*columns: str) -> pa.Schema:
    return pa.schema([(name, COLUMN_TYPES[name]) for name in columns])


# The key of one scored item: unique in the ratings table (order aside, which fidelity averages).
# The baseline's answers are judged once per persona (fidelity, RoleBench): `judged_as` tells them
# apart.
KEY = ("model", "role", "judged_as", "dialogue_type", "round", "dataset", "item")

# --- data: results/persistence/data/ ---
ROLES_SCHEMA = schema_of("role", "description", "system_prompt")
SCRIPTS_SCHEMA = schema_of("dialogue_type", "order", "round", "template")
ITEMS_SCHEMA = schema_of(
    "dataset", "role", "item", "item_index", "prompt", "reference", "trait", "label"
)
LABELS_SCHEMA = schema_of("role", "trait", "score")

# --- dialogues and conditioned benchmarks ---
DIALOGUE_SCHEMA = schema_of(
    "model", "role", "dialogue_type", "order", "round", "user", "assistant", "prompt_tokens",
    "completion_tokens", "prefix_tokens", "finish_reason", "end_reason",
)  # fmt: skip
RESPONSE_SCHEMA = schema_of(
    "model", "role", "dialogue_type", "round", "dataset", "item", "item_index", "prompt",
    "reference", "trait", "label", "response", "prefix_tokens", "prompt_tokens",
    "completion_tokens", "finish_reason",
)  # fmt: skip
OVERFLOW_SCHEMA = schema_of(
    "model", "role", "dialogue_type", "round", "dataset", "item", "prefix_tokens",
    "estimated_prompt_tokens", "max_tokens", "context_tokens", "reason",
)  # fmt: skip

# --- judge, IFBench verifiers, ratings ---
JUDGMENT_SCHEMA = schema_of(
    "model", "judge_model", "role", "judged_as", "dialogue_type", "order", "round", "dataset",
    "item", "item_index", "trait", "label", "prefix_tokens", "truncated", "raw_text", "reask_text",
    "value", "status", "error",
)  # fmt: skip
SCORE_SCHEMA = schema_of(
    "model", "role", "dialogue_type", "round", "item", "prefix_tokens", "prompt", "response",
    "instruction_id_list", "strict_follow_all", "strict_follow_list", "loose_follow_all",
    "loose_follow_list", "unverifiable",
)  # fmt: skip
RATINGS_SCHEMA = schema_of(
    "model", "role", "judged_as", "dialogue_type", "order", "round", "dataset", "item", "trait",
    "rating", "prefix_tokens",
)  # fmt: skip
FAILURE_SCHEMA = schema_of(
    "model", "role", "judged_as", "dialogue_type", "order", "round", "dataset", "item", "status",
    "error", "raw_text", "reask_text",
)  # fmt: skip

# --- dataset names ---
BFI_TRAITS = ("Extraversion", "Agreeableness", "Conscientiousness", "Neuroticism", "Openness")
ROLEBENCH_ROLE_SPECIFIC = "rolebench_role_specific"
ROLEBENCH_GENERAL = "rolebench_general"
# The dialogue-conditioned benchmarks (config persistence.datasets).
BENCHMARKS = ("bfi", ROLEBENCH_ROLE_SPECIFIC, ROLEBENCH_GENERAL, "ifbench", "xstest")
# The benchmarks an LLM judge scores (IFBench has verifiers instead).
JUDGED_BENCHMARKS = ("bfi", ROLEBENCH_ROLE_SPECIFIC, ROLEBENCH_GENERAL, "xstest")
FIDELITY = ("fidelity_knowledge", "fidelity_style", "fidelity_in_character")


@dataclass(frozen=True)
class Dataset:
    """A dataset of the ratings table: its native scale and the metric(s) it yields."""

    scale: str  # "likert" (1-5) | "binary" (0/1) | "pairwise" (1 win, 0.5 tie, 0 loss)
    label: str
    higher_is_better: bool


# The datasets of the ratings table (what a scored item belongs to).
DATASETS: dict[str, Dataset] = {
    "fidelity_knowledge": Dataset("likert", "Knowledge", True),
    "fidelity_style": Dataset("likert", "Style", True),
    "fidelity_in_character": Dataset("likert", "In-character", True),
    "bfi": Dataset("likert", "BFI trait rating", True),
    ROLEBENCH_ROLE_SPECIFIC: Dataset("pairwise", "Persona-specific instr. (win %)", True),
    ROLEBENCH_GENERAL: Dataset("pairwise", "General instr. (win %)", True),
    "ifbench_strict": Dataset("binary", "IFBench strict (acc. %)", True),
    "ifbench_loose": Dataset("binary", "IFBench loose (acc. %)", True),
    "xstest_unsafe": Dataset("binary", "Safety: refusals on unsafe (%)", True),
    "xstest_safe": Dataset("binary", "Excess safety: refusals on safe (%)", False),
}

# The ratings table a user may bring (config persistence.ratings_table): column -> meaning.
# `order` and `trait` of RATINGS_SCHEMA are optional there (fidelity averages the orders; the
# BFI trait comes from InCharacter's item key).
RATINGS_COLUMNS: dict[str, str] = {
    "model": "registry name of the evaluated model",
    "role": "one of the roles, or 'empty' for the no-persona baseline",
    "dialogue_type": "persona_directed | goal_oriented",
    "round": "checkpoint k (conditioned benchmarks) or dialogue round 1..N (fidelity)",
    "dataset": " | ".join(DATASETS),
    "item": "item id (for bfi: the InCharacter BFI question number)",
    "rating": "native scale: 1-5 (fidelity, bfi), 1/0.5/0 (rolebench), 1/0 (ifbench, xstest)",
    "prefix_tokens": "cumulative prefix token count (optional: empty when unknown)",
    "judged_as": "optional: the persona whose rubric judged a baseline answer (upstream judges the "
    "baseline as each persona on fidelity and RoleBench); empty = judged without a persona",
}
OPTIONAL_COLUMNS = ("prefix_tokens", "judged_as")
