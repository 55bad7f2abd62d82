"""PersonaLens result tables (CSV + LaTeX) from judgments and dialogues.

Means carry seeded percentile-bootstrap 95% CIs (personascope.stats) that resample users, not
dialogues: the dialogues of one user share a persona, so they are not independent. TCR is the
percentage of dialogues judged complete (0-100); P the mean personalization score (1-4); N and C
the mean naturalness / coherence (1-5). Parse failures are excluded from every mean and counted in
their own `*_fail` columns; a cell with nothing parsed is NaN in the CSV and "--" in LaTeX.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import read_parquet, write_csv, write_latex
from ..judging import STATUS_FAILED, STATUS_OK, STATUS_OK_AFTER_REASK, STATUS_OK_CONSTRAINED
from ..stats import cluster_mean_ci, mean_ci
from . import lexical
from .datastats import latex_frame
from .judge import TURN_LEVEL
from .templates import AssistantSetting, visible_text

KEYS = ["assistant_model", "setting", "kind"]
ABLATION_SETTINGS = ["vanilla", "base", "base+d", "base+i", "base+s", "base+all"]
KINDS = ["SD", "MD"]
# (dimension, column prefix, scale): TCR on 0-100, scores on their own scale
MAIN_METRICS = [
    ("task_completion", "tcr", 100.0),
    ("personalization", "p", 1.0),
    ("naturalness_assistant", "n", 1.0),
    ("coherence_assistant", "c", 1.0),
]
USER_METRICS = [("naturalness_user", "n_user", 1.0), ("coherence_user", "c_user", 1.0)]


def load(paths: list[Path]) -> pd.DataFrame:
    frames = [read_parquet(p) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def whole_dialogue(judgments: pd.DataFrame) -> pd.DataFrame:
    return judgments[judgments["dimension"] != TURN_LEVEL]


def users_of(judgments: pd.DataFrame) -> np.ndarray:
    """The user of each judgment (dialogue ids end in `<user>/<task>`): the bootstrap's clusters."""
    scenario = judgments["dialogue_id"].astype(str).str.rsplit("|", n=1).str[-1]
    return scenario.str.split("/").str[0].to_numpy()


def metric_cells(group: pd.DataFrame, metrics: list[tuple[str, str, float]]) -> dict[str, Any]:
    """mean, CI, n and parse-failure count of each metric over one group of judgments."""
    row: dict[str, Any] = {}
    for dim, col, scale in metrics:
        sub = group[group["dimension"] == dim]
        parsed = sub[sub["status"] != STATUS_FAILED]
        ok = parsed["value"].to_numpy(dtype=float) * scale
        mean, low, high, n = cluster_mean_ci(ok, users_of(parsed))
        row.update(
            {
                col: mean,
                f"{col}_ci_low": low,
                f"{col}_ci_high": high,
                f"{col}_n": n,
                f"{col}_fail": int((sub["status"] == STATUS_FAILED).sum()),
            }
        )
    return row


def grouped(
    judgments: pd.DataFrame, keys: list[str], metrics: list[tuple[str, str, float]]
) -> pd.DataFrame:
    rows = []
    for key, group in judgments.groupby(keys, sort=True):
        row = dict(zip(keys, key, strict=True))
        row["dialogues"] = group["dialogue_id"].nunique()
        row.update(metric_cells(group, metrics))
        rows.append(row)
    return pd.DataFrame(rows)


def main_results(judgments: pd.DataFrame) -> pd.DataFrame:
    """Per assistant model, setting and SD/MD: TCR, P, N and C of the assistant."""
    return grouped(whole_dialogue(judgments), KEYS, MAIN_METRICS)


def ablation(judgments: pd.DataFrame) -> pd.DataFrame:
    """TCR and P for the six settings x SD/MD per assistant; settings not run are kept as rows
    with `present` False, 0 dialogues and NaN scores, so the table always has its shape."""
    found = grouped(whole_dialogue(judgments), KEYS, MAIN_METRICS[:2])
    models = sorted(judgments["assistant_model"].unique()) if len(judgments) else []
    extra = sorted(
        set(found["setting"]) - set(ABLATION_SETTINGS) if len(found) else set(),
    )
    frame = pd.DataFrame(
        [
            {"assistant_model": m, "setting": s, "kind": k}
            for m in models
            for s in ABLATION_SETTINGS + extra
            for k in KINDS
        ],
        columns=KEYS,
    )
    table = frame.merge(found, on=KEYS, how="left") if len(found) else frame
    table["present"] = table["dialogues"].notna() if "dialogues" in table else False
    table["dialogues"] = table.get("dialogues", 0)
    table["dialogues"] = table["dialogues"].fillna(0).astype(int)
    return table


def in_focus(
    frame: pd.DataFrame, focus_assistant: str | None = None, focus_setting: str | None = None
) -> pd.DataFrame:
    """The rows of the paper's assistant and setting (config personalens.focus_*; None = all)."""
    keep = pd.Series(True, index=frame.index)
    if focus_assistant is not None:
        keep &= frame["assistant_model"] == focus_assistant
    if focus_setting is not None:
        keep &= frame["setting"] == focus_setting
    return frame[keep]


def user_agent(judgments: pd.DataFrame, focus_setting: str | None = None) -> pd.DataFrame:
    """Naturalness and coherence of the simulated user, per assistant model and SD/MD, in the
    focus setting (the paper's Table 12: every assistant, setting base, SD rows)."""
    scoped = in_focus(whole_dialogue(judgments), focus_setting=focus_setting)
    return grouped(scoped, ["assistant_model", "setting", "kind"], USER_METRICS)


def parse_failures(judgments: pd.DataFrame) -> pd.DataFrame:
    """Per judge, dimension, assistant and setting: items, parsed first time, after the
    re-ask, from a constrained answer, failed."""
    rows = []
    keys = ["judge_model", "dimension", "assistant_model", "setting"]
    for key, group in judgments.groupby(keys, sort=True):
        status = group["status"]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "items": len(group),
                "ok": int((status == STATUS_OK).sum()),
                "ok_after_reask": int((status == STATUS_OK_AFTER_REASK).sum()),
                "ok_constrained": int((status == STATUS_OK_CONSTRAINED).sum()),
                "parse_failure": int((status == STATUS_FAILED).sum()),
                "failure_rate": 100.0 * float((status == STATUS_FAILED).mean()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            *keys,
            "items",
            "ok",
            "ok_after_reask",
            "ok_constrained",
            "parse_failure",
            "failure_rate",
        ],
    )


def domain_results(judgments: pd.DataFrame) -> pd.DataFrame:
    """Per assistant, setting and domain (SD dialogues): TCR and P; plus the `all` row over
    every SD domain, the mean the figure draws as a dashed line."""
    sd = whole_dialogue(judgments)
    sd = sd[sd["kind"] == "SD"].assign(domain=lambda f: f["domains"].map(lambda d: d[0]))
    if sd.empty:
        return pd.DataFrame(columns=["assistant_model", "setting", "domain", "dialogues"])
    per = grouped(sd, ["assistant_model", "setting", "domain"], MAIN_METRICS[:2])
    overall = grouped(
        sd.assign(domain="all"), ["assistant_model", "setting", "domain"], MAIN_METRICS[:2]
    )
    return pd.concat([per, overall], ignore_index=True)


def turn_level(judgments: pd.DataFrame, domains: list[str] | None = None) -> pd.DataFrame:
    """Mean personalization of the dialogue prefix ending at assistant turn k, for all SD
    dialogues (`All SD`), every SD domain in `domains` (default: all SD domains) and all MD."""
    turns = judgments[judgments["dimension"] == TURN_LEVEL]
    cols = ["assistant_model", "setting", "group", "turn"]
    if turns.empty:
        return pd.DataFrame(columns=[*cols, "p", "p_ci_low", "p_ci_high", "p_n", "p_fail"])
    turns = turns.assign(turn=turns["turn"].astype(int))
    sd = turns[turns["kind"] == "SD"].assign(group=lambda f: f["domains"].map(lambda d: d[0]))
    sd_domains = sd[sd["group"].isin(domains)] if domains else sd
    parts = [
        sd.assign(group="All SD"),
        sd_domains,
        turns[turns["kind"] == "MD"].assign(group="All MD"),
    ]
    frame = pd.concat(parts, ignore_index=True)
    rows = []
    for key, group in frame.groupby(cols, sort=True):
        row = dict(zip(cols, key, strict=True))
        row.update(metric_cells(group, [(TURN_LEVEL, "p", 1.0)]))
        rows.append(row)
    return pd.DataFrame(rows)


def dialogue_stats(
    dialogues: pd.DataFrame, focus_assistant: str | None = None, focus_setting: str | None = None
) -> pd.DataFrame:
    """SD vs MD (and all): dialogues, how they ended, turns per dialogue, tokens per turn, of
    the focus assistant in the focus setting (the paper's Table 13: Claude 3 Sonnet, base;
    `all` where no focus is set). Tokens are words and punctuation marks (lexical.tokens),
    comparable across engines."""
    scoped = in_focus(dialogues, focus_assistant, focus_setting)
    rows = []
    for kind in [*KINDS, "all"]:
        sub = scoped if kind == "all" else scoped[scoped["kind"] == kind]
        turns = [len(t) for t in sub["turns"]]
        lengths = {"all": [], "user": [], "assistant": []}
        for ts in sub["turns"]:
            for t in ts:
                n = len(lexical.tokens(visible_text(t["text"])))
                lengths["all"].append(n)
                lengths[t["speaker"]].append(n)
        row: dict[str, Any] = {
            "assistant_model": focus_assistant or "all",
            "setting": focus_setting or "all",
            "kind": kind,
            "dialogues": len(sub),
            "terminated": int((sub["end_reason"] == "terminated").sum()),
            "turn_cap": int((sub["end_reason"] == "turn_cap").sum()),
        }
        for col, values in (
            ("turns_per_dialogue", turns),
            ("tokens_per_turn", lengths["all"]),
            ("user_tokens_per_turn", lengths["user"]),
            ("assistant_tokens_per_turn", lengths["assistant"]),
        ):
            mean, low, high, _ = mean_ci(np.asarray(values, dtype=float))
            row.update({col: mean, f"{col}_ci_low": low, f"{col}_ci_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def lexical_diversity(
    dialogues: pd.DataFrame, self_bleu_sample: int = 500, seed: int = 42
) -> pd.DataFrame:
    """Dist-1, Dist-2, Ent-4 and Self-BLEU per assistant model, setting, SD / MD / all and
    speaker. Self-BLEU is quadratic in the number of texts: above `self_bleu_sample` texts it
    uses a seeded random subset of that size (the other metrics always use every text)."""
    rows = []
    for (model, setting), pair in dialogues.groupby(["assistant_model", "setting"], sort=True):
        for kind, speaker in itertools.product([*KINDS, "all"], ("assistant", "user")):
            group = pair if kind == "all" else pair[pair["kind"] == kind]
            if group.empty:
                continue
            texts = [
                visible_text(t["text"])
                for ts in group["turns"]
                for t in ts
                if t["speaker"] == speaker
            ]
            sample = texts
            if len(texts) > self_bleu_sample:
                sample = random.Random(seed).sample(texts, self_bleu_sample)
            row = {
                "assistant_model": model,
                "setting": setting,
                "kind": kind,
                "speaker": speaker,
                "texts": len(texts),
                "dist1": lexical.distinct_n(texts, 1),
                "dist2": lexical.distinct_n(texts, 2),
                "ent4": lexical.entropy_n(texts, 4),
                "self_bleu": lexical.self_bleu(sample),
            }
            rows.append(row)
    return pd.DataFrame(rows)


def setting_order(name: str) -> int:
    canonical = AssistantSetting.parse(name).name
    return ABLATION_SETTINGS.index(canonical) if canonical in ABLATION_SETTINGS else 99


CAPTIONS = {
    "main_results": "PersonaLens main results: task completion rate (TCR, %), personalization "
    "(P, 1-4), naturalness (N) and coherence (C) of the assistant (1-5); parse failures "
    "excluded and counted.",
    "ablation": "PersonaLens ablation over assistant settings: TCR (%) and P (1-4); settings "
    "not run are shown as -- rows.",
    "user_agent": "PersonaLens user-agent quality: naturalness and coherence of the simulated "
    "user (1-5), per assistant, in the focus setting (paper: base; its Table 12 is the SD rows).",
    "parse_failures": "PersonaLens judge parse failures per dimension (after one re-ask).",
    "domain_results": "PersonaLens per-domain TCR (%) and P (1-4), single-domain tasks.",
    "turn_level": "PersonaLens turn-level personalization (1-4) after each assistant turn.",
    "dialogue_stats": "PersonaLens dialogue statistics of the focus assistant and setting "
    "(paper: Claude 3 Sonnet, base); tokens: words and punctuation.",
    "lexical_diversity": "PersonaLens lexical diversity of generated turns, SD and MD.",
    "agreement": "PersonaLens judge-human Cohen's kappa (unweighted, as the paper; quadratic-"
    "weighted as an extra column) and inter-annotator Fleiss' kappa.",
}
CLUSTER_NOTE = " 95% CIs (CSV) from a bootstrap over users, not dialogues."
CAPTIONS = {
    name: caption + CLUSTER_NOTE
    if name in ("main_results", "ablation", "user_agent", "domain_results", "turn_level")
    else caption
    for name, caption in CAPTIONS.items()
}
# columns shown in the LaTeX version (the CSV keeps every column, CIs included)
SHOWN: dict[str, list[str]] = {
    "main_results": [*KEYS, "dialogues", "tcr", "p", "n", "c", "tcr_fail", "p_fail"],
    "ablation": [*KEYS, "dialogues", "tcr", "p", "tcr_fail", "p_fail"],
    "user_agent": [
        "assistant_model",
        "setting",
        "kind",
        "dialogues",
        "n_user",
        "c_user",
        "n_user_fail",
        "c_user_fail",
    ],
    "domain_results": ["assistant_model", "setting", "domain", "dialogues", "tcr", "p"],
    "turn_level": ["assistant_model", "setting", "group", "turn", "p", "p_n"],
    "dialogue_stats": [
        "assistant_model",
        "setting",
        "kind",
        "dialogues",
        "terminated",
        "turn_cap",
        "turns_per_dialogue",
        "tokens_per_turn",
    ],
}

JUDGE_TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "main_results": main_results,
    "ablation": ablation,
    "user_agent": user_agent,
    "parse_failures": parse_failures,
    "domain_results": domain_results,
    "turn_level": turn_level,
}
DIALOGUE_TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "dialogue_stats": dialogue_stats,
    "lexical_diversity": lexical_diversity,
}


def write_table(name: str, table: pd.DataFrame, csv: Path, tex: Path) -> None:
    write_csv(table, csv)
    shown = table[[c for c in SHOWN.get(name, list(table.columns)) if c in table.columns]]
    write_latex(latex_frame(shown, 2), tex, caption=CAPTIONS[name])
