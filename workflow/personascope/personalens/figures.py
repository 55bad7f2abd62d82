"""PersonaLens figures (PDF + PNG), each drawn from the CSV table of the same name.

A figure never recomputes a statistic: it reads its table, so `snakemake
results/personalens/figures/<name>.pdf` reruns only the figure rule when its table is current.
Cells with nothing parsed (NaN) are left out of a plot, never drawn as zero.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import save_figure
from ..steps import step

COLOR = "#4C72B0"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _errors(table: pd.DataFrame, col: str) -> np.ndarray:
    values = table[col].to_numpy(dtype=float)
    low = values - table[f"{col}_ci_low"].to_numpy(dtype=float)
    high = table[f"{col}_ci_high"].to_numpy(dtype=float) - values
    return np.nan_to_num(np.vstack([low, high]), nan=0.0)


def _bars(ax: Any, labels: list[str], table: pd.DataFrame, col: str, title: str, top: float):
    xs = np.arange(len(labels))
    values = table[col].to_numpy(dtype=float) if len(table) else np.array([])
    shown = ~np.isnan(values)
    ax.bar(xs[shown], values[shown], color=COLOR)
    if shown.any():
        ax.errorbar(
            xs[shown],
            values[shown],
            yerr=_errors(table, col)[:, shown],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
    for x in xs[~shown]:
        ax.text(x, top * 0.02, "--", ha="center", fontsize=7)
    ax.set_xticks(list(xs), labels, fontsize=6, rotation=45, ha="right")
    ax.set_ylim(0, top)
    ax.set_xlim(-0.6, max(len(labels), 1) - 0.4)  # keep the `--` marks of edge bars inside
    ax.set_title(title, fontsize=9)


def plot_main(table: pd.DataFrame, params: Any) -> Any:
    plt = _plt()
    labels = [f"{r.assistant_model}\n{r.setting} ({r.kind})" for r in table.itertuples()]
    metrics = [
        ("tcr", "TCR (%)", 100),
        ("p", "P (1-4)", 4),
        ("n", "N (1-5)", 5),
        ("c", "C (1-5)", 5),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(max(8.0, 1.2 * len(labels) * 2 + 2), 3.2))
    for ax, (col, title, top) in zip(axes, metrics, strict=True):
        _bars(ax, labels, table, col, title, top)
    return fig


def plot_ablation(table: pd.DataFrame, params: Any) -> Any:
    """TCR and P per setting, one line of bars per SD/MD; absent settings marked `--`."""
    plt = _plt()
    models = sorted(table["assistant_model"].unique())
    fig, axes = plt.subplots(
        max(1, len(models)), 4, figsize=(12, 2.8 * max(1, len(models))), squeeze=False
    )
    for i, model in enumerate(models):
        for j, (kind, col, title, top) in enumerate(
            [
                ("SD", "tcr", "TCR", 100),
                ("SD", "p", "P", 4),
                ("MD", "tcr", "TCR", 100),
                ("MD", "p", "P", 4),
            ]
        ):
            sub = table[(table["assistant_model"] == model) & (table["kind"] == kind)]
            _bars(axes[i, j], list(sub["setting"]), sub, col, f"{model} {kind} {title}", top)
    fig.tight_layout()
    return fig


def plot_demographics(table: pd.DataFrame, params: Any) -> Any:
    plt = _plt()
    attrs = list(dict.fromkeys(table["attribute"]))
    cols = 3
    rows = math.ceil(len(attrs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.2 * rows), squeeze=False)
    for ax, attr in zip(axes.flat, attrs, strict=False):
        sub = table[table["attribute"] == attr]
        ys = np.arange(len(sub))
        ax.barh(ys, sub["percent"], color=COLOR)
        ax.set_yticks(list(ys), list(sub["value"]), fontsize=6)
        ax.invert_yaxis()
        ax.set_xlabel("% of users", fontsize=7)
        ax.set_title(attr.replace("_", " "), fontsize=9)
    for ax in list(axes.flat)[len(attrs) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def focus(table: pd.DataFrame, params: Any) -> pd.DataFrame:
    """The rows the paper's one-setting figures draw: the focus setting (else the table's
    first), and the focus assistant if one is set (else every assistant, a row each)."""
    found = list(dict.fromkeys(table["setting"]))
    setting = params.focus_setting
    chosen = setting if setting in found else (found[0] if found else None)
    table = table[table["setting"] == chosen]
    if params.focus_assistant is not None:
        table = table[table["assistant_model"] == params.focus_assistant]
    return table


def plot_domains(table: pd.DataFrame, params: Any) -> Any:
    """Per-domain TCR and P bars, the all-domain mean as a dashed line, one row per model."""
    plt = _plt()
    table = focus(table, params)
    models = sorted(table["assistant_model"].unique())
    fig, axes = plt.subplots(
        max(1, len(models)), 2, figsize=(12, 3.2 * max(1, len(models))), squeeze=False
    )
    for i, model in enumerate(models):
        sub = table[table["assistant_model"] == model]
        per = sub[sub["domain"] != "all"]
        overall = sub[sub["domain"] == "all"]
        for ax, col, title, top in (
            (axes[i, 0], "tcr", "TCR (%)", 100),
            (axes[i, 1], "p", "P (1-4)", 4),
        ):
            _bars(
                ax,
                list(per["domain"]),
                per,
                col,
                f"{model} ({sub['setting'].iloc[0]}) {title}",
                top,
            )
            mean = overall[col].iloc[0] if len(overall) else float("nan")
            if not math.isnan(mean):
                ax.axhline(mean, linestyle="--", color="black", linewidth=1, label="all domains")
                ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def plot_turn_level(table: pd.DataFrame, params: Any) -> Any:
    plt = _plt()
    table = focus(table, params)
    models = sorted(table["assistant_model"].unique())
    fig, axes = plt.subplots(
        1, max(1, len(models)), figsize=(5 * max(1, len(models)), 3.4), squeeze=False
    )
    for ax, model in zip(axes[0], models, strict=False):
        sub = table[table["assistant_model"] == model]
        for group, curve in sub.groupby("group", sort=True):
            curve = curve.sort_values("turn")
            ys = curve["p"].to_numpy(dtype=float)
            style = "-" if group.startswith("All") else ":"
            ax.plot(curve["turn"], ys, style, marker="o", markersize=3, label=group)
            ax.fill_between(
                curve["turn"],
                curve["p_ci_low"].to_numpy(dtype=float),
                curve["p_ci_high"].to_numpy(dtype=float),
                alpha=0.15,
            )
        ax.set_xlabel("assistant turn", fontsize=8)
        ax.set_ylabel("personalization (1-4)", fontsize=8)
        ax.set_ylim(1, 4)
        ax.set_title(model, fontsize=9)
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[[pd.DataFrame, dict[str, Any]], Any]] = {
    "main_results": plot_main,
    "ablation": plot_ablation,
    "demographics": plot_demographics,
    "domain_results": plot_domains,
    "turn_level": plot_turn_level,
}


@dataclasses.dataclass(frozen=True)
class FigureParams:
    name: str
    focus_assistant: str | None
    focus_setting: str | None


@step(FigureParams)
def figure(inputs: dict[str, Any], outputs: dict[str, Path], params: FigureParams) -> None:
    """One figure (PDF + PNG) drawn from the table of the same name."""
    name = params.name
    # only empty cells are missing: the release has real values such as "N/A" (ethnicity)
    table = pd.read_csv(inputs["table"], keep_default_na=False, na_values=[""])
    fig = FIGURES[name](table, params)
    save_figure(fig, outputs["pdf"], outputs["png"])
    _plt().close(fig)
