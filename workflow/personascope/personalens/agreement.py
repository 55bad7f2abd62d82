"""Agreement between the LLM judge and human annotators, and among annotators.

Human ratings CSV (one row per rating; header required):

    dialogue_id,annotator,metric,rating

- `dialogue_id`: as in the dialogue files (`<assistant>|<setting>|<user>/<task_id>`);
- `annotator`: any label;
- `metric`: a judge dimension — task_completion (rating True/False, 1/0 or yes/no),
  personalization (1-4), naturalness_user, coherence_user, naturalness_assistant,
  coherence_assistant (1-5);
- `rating`: the annotator's score.

Cohen's kappa (sklearn) between the judge and each annotator, per metric, over the dialogues
both rated (judge parse failures excluded), then averaged over annotators: unweighted, as the
paper's Table 5, and quadratic-weighted as an extra column (`cohen_kappa_weighted`: the 1-5
scores are ordinal; for the two-valued task completion it equals the unweighted one). Fleiss'
kappa (statsmodels) among the annotators over the dialogues every annotator of that metric
rated.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..judging import STATUS_FAILED

ORDINAL = {
    "personalization": (1, 4),
    "naturalness_user": (1, 5),
    "coherence_user": (1, 5),
    "naturalness_assistant": (1, 5),
    "coherence_assistant": (1, 5),
}
BINARY = {"task_completion"}
METRICS = [*sorted(BINARY), *ORDINAL]
COLUMNS = ("dialogue_id", "annotator", "metric", "rating")
BOOL_WORDS = {"true": 1, "yes": 1, "1": 1, "false": 0, "no": 0, "0": 0}


class HumanRatingsError(InputDataError):
    """A human-ratings CSV that cannot be read or does not follow its format."""


def read_ratings(path: Path) -> pd.DataFrame:
    """Read and validate a human-ratings CSV; errors name the file, row and field."""
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="strict"
        )
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise HumanRatingsError(
            f"{path}: cannot be read as a UTF-8 CSV ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})"
        ) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise HumanRatingsError(
            f"{path}: missing column(s) {missing}; expected header {','.join(COLUMNS)}"
        )
    values = []
    for i, r in enumerate(frame.itertuples(index=False), start=2):
        if r.metric in BINARY:
            word = r.rating.strip().lower()
            if word not in BOOL_WORDS:
                raise HumanRatingsError(
                    f"{path}:{i}: rating {r.rating!r} for {r.metric} is not True/False"
                )
            values.append(BOOL_WORDS[word])
        elif r.metric in ORDINAL:
            low, high = ORDINAL[r.metric]
            try:
                value = int(r.rating)
            except ValueError:
                value = None
            if value is None or not low <= value <= high:
                raise HumanRatingsError(
                    f"{path}:{i}: rating {r.rating!r} for {r.metric} is not an integer "
                    f"in {low}..{high}"
                )
            values.append(value)
        else:
            raise HumanRatingsError(
                f"{path}:{i}: unknown metric {r.metric!r}; expected one of {METRICS}"
            )
    out = frame[list(COLUMNS)].copy()
    out["rating"] = values
    dup = out.duplicated(["dialogue_id", "annotator", "metric"])
    if dup.any():
        first = out[dup].iloc[0]
        raise HumanRatingsError(
            f"{path}: annotator {first.annotator!r} rated {first.metric} of "
            f"{first.dialogue_id!r} more than once"
        )
    return out


def cohen(a: list[int] | np.ndarray, b: list[int] | np.ndarray, weighted: bool) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2:
        return float("nan")
    labels = sorted(set(a) | set(b))
    if len(labels) < 2:
        return float("nan")  # one category only: chance agreement is 1, kappa undefined
    return float(cohen_kappa_score(a, b, weights="quadratic" if weighted else None, labels=labels))


def mean_or_nan(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def fleiss(ratings: pd.DataFrame) -> float:
    """Fleiss' kappa over an items x annotators matrix with no missing cells."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    if ratings.shape[0] < 1 or ratings.shape[1] < 2:
        return float("nan")
    table, _ = aggregate_raters(ratings.to_numpy(dtype=int))
    if table.shape[1] < 2:
        return float("nan")
    return float(fleiss_kappa(table, method="fleiss"))


def agreement_table(judgments: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    whole = judgments[judgments["turn"].isna()] if "turn" in judgments else judgments
    parsed = whole[whole["status"] != STATUS_FAILED]
    rows: list[dict[str, Any]] = []
    for metric in METRICS:
        human = ratings[ratings["metric"] == metric]
        if human.empty:
            continue
        judge = parsed[parsed["dimension"] == metric].set_index("dialogue_id")["value"]
        kappas: dict[bool, list[float]] = {False: [], True: []}
        pairs = 0
        for _, group in human.groupby("annotator", sort=True):
            common = group[group["dialogue_id"].isin(judge.index)]
            pairs += len(common)
            for weighted, found in kappas.items():
                kappa = cohen(
                    judge.loc[common["dialogue_id"]].astype(int).tolist(),
                    common["rating"].astype(int).tolist(),
                    weighted,
                )
                if not math.isnan(kappa):
                    found.append(kappa)
        wide = human.pivot(index="dialogue_id", columns="annotator", values="rating").dropna()
        rows.append(
            {
                "metric": metric,
                "annotators": human["annotator"].nunique(),
                "judge_pairs": pairs,
                "cohen_kappa": mean_or_nan(kappas[False]),
                "cohen_kappa_weighted": mean_or_nan(kappas[True]),
                "fleiss_items": len(wide),
                "fleiss_kappa": fleiss(wide),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "metric",
            "annotators",
            "judge_pairs",
            "cohen_kappa",
            "cohen_kappa_weighted",
            "fleiss_items",
            "fleiss_kappa",
        ],
    )
