"""Persistent Personas figures (PDF + PNG), one function per figure of the spec.

Each figure reads the statistics tables, never the models. A metric without data (e.g. RoleBench
skipped offline) gets a "no data for <metric>" panel, and every figure names the absent datasets
in a footnote, so a small slice still yields every figure.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io import read_parquet, save_figure
from ..steps import step
from .statistics import BASELINE, FIDELITY, METRIC_ORDER, METRICS

TYPE_STYLE = {
    "persona_directed": {"color": "#DD8452", "marker": "o", "label": "Persona-directed"},
    "goal_oriented": {"color": "#4C72B0", "marker": "x", "label": "Goal-oriented"},
    "both": {"color": "#C44E9A", "marker": "s", "label": "PD - GO"},
}
GROUP_STYLE = {"persona": "-", "baseline": "--"}
BENCHMARK_GROUPS = {
    "role_specific_win_rate": ("rolebench_role_specific",),
    "general_win_rate": ("rolebench_general",),
    "ifbench_accuracy": ("ifbench_strict", "ifbench_loose"),
    "xstest_refusal": ("xstest_unsafe", "xstest_safe"),
    "bfi_distance": ("bfi_distance_labels", "bfi_distance_baseline"),
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 7})
    return plt


def title(metric: str) -> str:
    label, higher = METRICS[metric]
    return f"{label} ({'↑' if higher else '↓'})"


def no_data(ax: Any, what: str, message: str = "no data for {what}") -> None:
    ax.text(
        0.5,
        0.5,
        message.format(what=what),
        ha="center",
        va="center",
        fontsize=8,
        color="#777777",
        transform=ax.transAxes,
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#cccccc")


def footnote(fig: Any, cov: dict[str, Any], shown: tuple[str, ...] | list[str]) -> None:
    absent = [m for m in cov.get("absent", []) if m in shown]
    if absent:
        fig.text(
            0.01,
            -0.02,
            "Absent datasets (no ratings): " + ", ".join(absent),
            fontsize=7,
            color="#aa0000",
            ha="left",
            va="top",
        )


def _band(ax: Any, frame: pd.DataFrame, style: dict[str, Any], linestyle: str, label: str) -> None:
    frame = frame.sort_values("round")
    x = frame["round"].to_numpy(float)
    ax.plot(
        x,
        frame["mean"],
        color=style["color"],
        marker=style["marker"],
        markersize=3,
        linestyle=linestyle,
        label=label,
    )
    ax.fill_between(
        x, frame["ci_low"], frame["ci_high"], color=style["color"], alpha=0.15, linewidth=0
    )


def levels_panel(ax: Any, means: pd.DataFrame, metric: str, model: str = "all") -> bool:
    sub = means[(means["model"] == model) & (means["metric"] == metric)]
    if sub.empty:
        return False
    for (dtype, group), cell in sub.groupby(["dialogue_type", "group"]):
        style = TYPE_STYLE[dtype]
        _band(ax, cell, style, GROUP_STYLE[group], f"{style['label']} ({group})")
    ax.set_xlabel("Round")
    return True


def difference_panel(
    ax: Any, diffs: pd.DataFrame, metric: str, kind: str, model: str = "all"
) -> bool:
    sub = diffs[(diffs["model"] == model) & (diffs["metric"] == metric) & (diffs["kind"] == kind)]
    if sub.empty:
        return False
    for (dtype, group), cell in sub.groupby(["dialogue_type", "group"]):
        style = TYPE_STYLE[dtype]
        _band(ax, cell, style, GROUP_STYLE[group], f"{style['label']} ({group})")
    ax.axhline(0, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlabel("Round")
    return True


KIND_TITLES = {
    "levels": "",
    "type_difference": "persona-directed − goal-oriented",
    "change_from_start": "change from first round",
    "persona_minus_baseline": "persona − baseline",
}


def metric_grid(
    tables: dict[str, Any], metrics: tuple[str, ...], kinds: tuple[str, ...], pdf: Path, png: Path
) -> None:
    """Rows = metrics, columns = levels / difference panels; shared legend; absent-data footnote."""
    plt = _plt()
    fig, axes = plt.subplots(
        len(metrics), len(kinds), figsize=(3.4 * len(kinds), 2.6 * len(metrics)), squeeze=False
    )
    for i, metric in enumerate(metrics):
        for j, kind in enumerate(kinds):
            ax = axes[i][j]
            if kind == "levels":
                ok = levels_panel(ax, tables["means"], metric)
                ax.set_ylabel("0-100")
            else:
                ok = difference_panel(ax, tables["differences"], metric, kind)
                ax.set_ylabel("Δ points")
            name = title(metric) + (f"\n{KIND_TITLES[kind]}" if KIND_TITLES[kind] else "")
            ax.set_title(name)
            if not ok and metric in tables["coverage"].get("absent", [metric]):
                no_data(ax, metric)
            elif not ok:  # ratings exist, but nothing to pair (e.g. no baseline for this metric)
                no_data(ax, metric, "nothing to pair for\n{what}")
            else:
                ax.grid(True, linewidth=0.3)
    _finish(plt, fig, axes, tables["coverage"], metrics, pdf, png)


def _legend(fig: Any, axes: Any) -> None:
    handles: dict[str, Any] = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(
            handles.values(),
            handles.keys(),
            loc="lower center",
            ncol=4,
            bbox_to_anchor=(0.5, 1.0),
            frameon=False,
        )


def _finish(
    plt: Any,
    fig: Any,
    axes: Any,
    coverage: dict[str, Any],
    shown: tuple[str, ...] | list[str],
    pdf: Path,
    png: Path,
) -> None:
    """Every figure ends alike: one shared legend, the absent-data footnote, PDF and PNG."""
    _legend(fig, axes)
    footnote(fig, coverage, shown)
    fig.tight_layout()
    save_figure(fig, pdf, png)
    plt.close(fig)


def cost_bars(tables: dict[str, Any], key: str, what: str, pdf: Path, png: Path) -> None:
    """Per-model bars with 95% CIs (5,000 resamples), one panel per metric."""
    plt = _plt()
    table: pd.DataFrame = tables[key]
    metrics = list(METRIC_ORDER)
    cols = 4
    rows = int(np.ceil(len(metrics) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False)
    for ax, metric in zip(np.ravel(axes), metrics, strict=False):
        sub = table[table["metric"] == metric]
        ax.set_title(title(metric))
        if sub.empty:
            no_data(ax, metric)
            continue
        models = sorted(sub["model"].unique())
        dtypes = sorted(sub["dialogue_type"].unique())
        width = 0.8 / len(dtypes)
        for k, dtype in enumerate(dtypes):
            cell = sub[sub["dialogue_type"] == dtype].set_index("model").reindex(models)
            xs = np.arange(len(models)) + (k - (len(dtypes) - 1) / 2) * width
            style = TYPE_STYLE.get(dtype, {"color": "#8C8C8C", "label": "no dialogue (round 0)"})
            mean = cell["mean"].to_numpy(float)
            err = [mean - cell["ci_low"].to_numpy(float), cell["ci_high"].to_numpy(float) - mean]
            ax.bar(xs, mean, width, color=style["color"], label=style["label"])
            ax.errorbar(
                xs,
                mean,
                yerr=np.nan_to_num(err),
                fmt="none",
                ecolor="black",
                capsize=2,
                linewidth=0.7,
            )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(np.arange(len(models)), models, rotation=30, ha="right", fontsize=6)
        ax.set_ylabel(f"{what} (Δ points)")
    for ax in np.ravel(axes)[len(metrics) :]:
        ax.axis("off")
    _finish(plt, fig, axes, tables["coverage"], METRIC_ORDER, pdf, png)


def _rows_by_metric(
    plt: Any, rows: list[str], draw: Callable[[Any, str, str], None]
) -> tuple[Any, Any]:
    """A grid of rows (models, roles) x metrics; `draw(ax, row, metric)` fills one panel."""
    metrics = list(METRIC_ORDER)
    fig, axes = plt.subplots(
        len(rows), len(metrics), figsize=(2.2 * len(metrics), 1.9 * len(rows)), squeeze=False
    )
    for i, row in enumerate(rows):
        for j, metric in enumerate(metrics):
            ax = axes[i][j]
            draw(ax, row, metric)
            if i == 0:
                ax.set_title(title(metric), fontsize=6)
            if j == 0:
                ax.set_ylabel(row, fontsize=7)
    return fig, axes


def model_grid(tables: dict[str, Any], pdf: Path, png: Path) -> None:
    """Models x metrics, persona (solid) and baseline (dashed) per dialogue type vs round."""
    plt = _plt()
    means: pd.DataFrame = tables["means"]
    models = sorted(m for m in means["model"].unique() if m != "all") or ["all"]

    def draw(ax: Any, model: str, metric: str) -> None:
        if not levels_panel(ax, means, metric, model):
            no_data(ax, metric)
        ax.set_xlabel("")

    fig, axes = _rows_by_metric(plt, models, draw)
    _finish(plt, fig, axes, tables["coverage"], METRIC_ORDER, pdf, png)


def persona_grid(tables: dict[str, Any], pdf: Path, png: Path) -> None:
    """Roles x metrics: mean per round (all models pooled) per dialogue type."""
    plt = _plt()
    obs: pd.DataFrame = tables["observations"]
    roles = sorted(r for r in obs["role"].unique() if r != BASELINE)
    roles = [*roles, BASELINE] if BASELINE in set(obs["role"]) else roles
    roles = roles or ["(none)"]

    def draw(ax: Any, role: str, metric: str) -> None:
        sub = obs[(obs["role"] == role) & (obs["metric"] == metric)]
        if sub.empty:
            no_data(ax, metric)
            return
        for dtype, cell in sub.groupby("dialogue_type"):
            mean = cell.groupby("round")["value"].mean()
            style = TYPE_STYLE[dtype]
            ax.plot(
                mean.index,
                mean.to_numpy(),
                color=style["color"],
                marker=style["marker"],
                markersize=3,
                label=style["label"],
            )
        ax.grid(True, linewidth=0.3)

    fig, axes = _rows_by_metric(plt, roles, draw)
    _finish(plt, fig, axes, tables["coverage"], METRIC_ORDER, pdf, png)


def coefficient_plot(tables: dict[str, Any], pdf: Path, png: Path) -> None:
    """Mixed-model coefficients: length slope per model x type; persona effects per persona."""
    plt = _plt()
    length: pd.DataFrame = tables["length_effect"]
    persona: pd.DataFrame = tables["persona_effect"]
    metrics = list(METRIC_ORDER)
    fig, axes = plt.subplots(len(metrics), 2, figsize=(8.0, 2.0 * len(metrics)), squeeze=False)
    for i, metric in enumerate(metrics):
        for j, (table, label, by) in enumerate(
            (
                (length, "slope per round (points)", "model"),
                (persona, "persona − baseline (points)", "term"),
            )
        ):
            ax = axes[i][j]
            sub = table[(table["metric"] == metric) & table["coefficient"].notna()]
            ax.set_title(f"{title(metric)}: " + ("length effect" if j == 0 else "persona effect"))
            if sub.empty:
                no_data(ax, metric)
                continue
            # length: one row per model; persona: one row per persona, a point per model
            sub = sub.assign(row=sub[by])
            labels = sorted(sub["row"].unique())
            for k, (dtype, cell) in enumerate(sub.groupby("dialogue_type")):
                style = TYPE_STYLE[dtype]
                ys = cell["row"].map({r: n for n, r in enumerate(labels)}).to_numpy(float)
                ys = ys + (k - 0.5) * 0.25
                mean = cell["coefficient"].to_numpy(float)
                err = [
                    mean - cell["ci_low"].to_numpy(float),
                    cell["ci_high"].to_numpy(float) - mean,
                ]
                ax.errorbar(
                    mean,
                    ys,
                    xerr=np.nan_to_num(err),
                    fmt=style["marker"],
                    color=style["color"],
                    markersize=3,
                    linewidth=0.7,
                    label=style["label"],
                )
            ax.axvline(0, color="black", linewidth=0.6, linestyle=":")
            ax.set_yticks(range(len(labels)), labels, fontsize=6)
            ax.set_xlabel(label)
    _finish(plt, fig, axes, tables["coverage"], METRIC_ORDER, pdf, png)


def tokens_plot(tables: dict[str, Any], pdf: Path, png: Path) -> None:
    """Dialogue-length control: each metric against the prefix's cumulative token count."""
    plt = _plt()
    obs: pd.DataFrame = tables["observations"]
    obs = obs[(obs["role"] != BASELINE) & obs["prefix_tokens"].notna()]
    metrics = list(METRIC_ORDER)
    cols = 4
    rows = int(np.ceil(len(metrics) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False)
    for ax, metric in zip(np.ravel(axes), metrics, strict=False):
        ax.set_title(title(metric))
        sub = obs[obs["metric"] == metric]
        if sub.empty and metric in tables["coverage"].get("absent", [metric]):
            no_data(ax, metric)
            continue
        if sub.empty:  # rated, but the ratings table gave no prefix token counts
            no_data(ax, metric, "no prefix token counts for\n{what}")
            continue
        for (_model, dtype), cell in sub.groupby(["model", "dialogue_type"]):
            mean = (
                cell.groupby("round")
                .agg(tokens=("prefix_tokens", "mean"), value=("value", "mean"))
                .sort_values("tokens")
            )
            style = TYPE_STYLE[dtype]
            ax.plot(
                mean["tokens"],
                mean["value"],
                color=style["color"],
                marker=style["marker"],
                markersize=2,
                linewidth=0.7,
                alpha=0.8,
                label=style["label"],
            )
        ax.set_xlabel("prefix tokens")
        ax.set_ylabel("0-100")
        ax.grid(True, linewidth=0.3)
    for ax in np.ravel(axes)[len(metrics) :]:
        ax.axis("off")
    _finish(plt, fig, axes, tables["coverage"], METRIC_ORDER, pdf, png)


# --- the figure list: name -> (tables it reads, how to draw it) ----------------------------------

ALL_KINDS = ("levels", "type_difference", "change_from_start", "persona_minus_baseline")


def _grid(metrics: tuple[str, ...], kinds: tuple[str, ...]) -> Callable[..., None]:
    return lambda tables, pdf, png: metric_grid(tables, metrics, kinds, pdf, png)


# name -> how to draw it; which tables each reads is named in paths.PERSISTENCE_FIGURES.
FIGURES: dict[str, Callable[..., None]] = {
    "fidelity_vs_round": _grid(FIDELITY, ("levels",)),
    "fidelity_type_difference": _grid(FIDELITY, ("type_difference",)),
    "fidelity_degradation": _grid(FIDELITY, ("change_from_start",)),
    **{name: _grid(metrics, ALL_KINDS) for name, metrics in BENCHMARK_GROUPS.items()},
    "length_cost_per_model": lambda t, pdf, png: cost_bars(
        t, "length_cost", "last − first round", pdf, png
    ),
    "personalization_cost_per_model": lambda t, pdf, png: cost_bars(
        t, "personalization_cost", "persona − baseline", pdf, png
    ),
    "type_difference_per_model": lambda t, pdf, png: cost_bars(
        t, "type_difference", "PD − GO", pdf, png
    ),
    "per_model_grid": model_grid,
    "per_persona_grid": persona_grid,
    "mixed_model_coefficients": coefficient_plot,
    "metrics_vs_tokens": tokens_plot,
}


def load_tables(inputs: dict[str, Any]) -> dict[str, Any]:
    tables: dict[str, Any] = {
        "coverage": json.loads(Path(inputs["coverage"]).read_text(encoding="utf-8"))
    }
    for name, path in inputs.items():
        if name == "coverage":
            continue
        path = Path(path)
        tables[name] = read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return tables


@dataclasses.dataclass(frozen=True)
class FigureParams:
    name: str


@step(FigureParams)
def figure(inputs: dict[str, Any], outputs: dict[str, Path], params: FigureParams) -> None:
    """Draw the figure named in params.name from the tables given as inputs."""
    name = params.name
    if name not in FIGURES:
        raise ConfigError(f"unknown Persistent Personas figure {name!r}; known: {sorted(FIGURES)}")
    FIGURES[name](load_tables(inputs), outputs["pdf"], outputs["png"])
