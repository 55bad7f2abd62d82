"""PersonaLens results: the main table (TCR, personalization) and its figure.

TCR is the percentage of dialogues judged complete; P is the mean personalization score (1-4).
Both carry seeded percentile-bootstrap 95% CIs. Parse failures are excluded from the means and
counted in their own column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..cli import as_list
from ..io import read_parquet, save_figure, write_csv, write_latex
from ..judging import STATUS_FAILED
from ..stats import mean_ci

KEYS = ["assistant_model", "setting", "kind"]


def load_judgments(paths: list[Path]) -> pd.DataFrame:
    frames = [read_parquet(p) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main_results(judgments: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for key, group in judgments.groupby(KEYS, sort=True):
        row: dict[str, Any] = dict(zip(KEYS, key, strict=True))
        row["dialogues"] = group["dialogue_id"].nunique()
        for dim, col, scale in (("task_completion", "tcr", 100.0), ("personalization", "p", 1.0)):
            sub = group[group["dimension"] == dim]
            ok = sub[sub["status"] != STATUS_FAILED]["value"].to_numpy(dtype=float) * scale
            mean, low, high, n = mean_ci(ok)
            row.update(
                {
                    col: mean,
                    f"{col}_ci_low": low,
                    f"{col}_ci_high": high,
                    f"{col}_n": n,
                    f"{col}_parse_failures": int((sub["status"] == STATUS_FAILED).sum()),
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def write_main_table(judgment_paths: list[Path], csv: Path, tex: Path) -> None:
    table = main_results(load_judgments(judgment_paths))
    write_csv(table, csv)
    shown = table[
        [*KEYS, "dialogues", "tcr", "p", "tcr_parse_failures", "p_parse_failures"]
    ].rename(
        columns={
            "assistant_model": "Assistant",
            "setting": "Setting",
            "kind": "Tasks",
            "dialogues": "Dialogues",
            "tcr": "TCR",
            "p": "P",
            "tcr_parse_failures": "TCR fail",
            "p_parse_failures": "P fail",
        }
    )
    write_latex(
        shown.round(2),
        tex,
        caption="PersonaLens: task completion rate (TCR, %) and "
        "personalization (P, 1-4) per assistant and setting.",
    )


def plot_main(table_csv: Path, pdf: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.read_csv(table_csv)
    labels = [f"{r.assistant_model}\n{r.setting} ({r.kind})" for r in table.itertuples()]
    fig, axes = plt.subplots(1, 2, figsize=(max(6.0, 1.4 * len(labels) + 2), 3.2))
    for ax, col, title, top in (
        (axes[0], "tcr", "Task completion rate (%)", 100),
        (axes[1], "p", "Personalization (1-4)", 4),
    ):
        values = table[col].to_numpy(dtype=float)
        low = values - table[f"{col}_ci_low"].to_numpy(dtype=float)
        high = table[f"{col}_ci_high"].to_numpy(dtype=float) - values
        xs = range(len(labels))
        ax.bar(xs, values, color="#4C72B0")
        ax.errorbar(xs, values, yerr=[low, high], fmt="none", ecolor="black", capsize=3)
        ax.set_xticks(list(xs), labels, fontsize=7)
        ax.set_ylim(0, top)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, pdf, png)
    plt.close(fig)


def run_table(inputs: dict[str, Any], outputs: dict[str, Path], params: dict[str, Any]) -> None:
    write_main_table(as_list(inputs["judgments"]), outputs["csv"], outputs["tex"])


def run_figure(inputs: dict[str, Any], outputs: dict[str, Path], params: dict[str, Any]) -> None:
    plot_main(Path(inputs["table"]), outputs["pdf"], outputs["png"])
