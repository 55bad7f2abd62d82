"""Stage `figures`: PersonaScore against a capability proxy of the model.

The proxy is the registry's parameter count (`params_b`, log axis); a model without one (API
models) is placed by its `size_class` on a separate band at the right, labelled so. Published
runs and ours are drawn with different markers; ours carry their bootstrap CI.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from ..io import save_figure
from ..steps import Files, step


@dataclasses.dataclass(frozen=True)
class Params:
    registry: dict[str, Any]
    published_quirks: bool


def capability(entry: dict[str, Any] | None) -> tuple[float | None, int | None]:
    if not entry:
        return None, None
    params_b = entry.get("params_b")
    return (float(params_b) if params_b else None), entry.get("size_class")


@step(Params)
def draw(inputs: Files, outputs: Files, params: Params) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.read_csv(inputs["published_comparison"])
    ours = pd.read_csv(inputs["persona_score"]).set_index("model")
    known = [
        p for p in (capability(params.registry.get(m))[0] for m in table["model"].dropna()) if p
    ]
    right = max(known, default=1.0) * 4  # where models without a parameter count go
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for row in table.itertuples(index=False):
        model = row.model if isinstance(row.model, str) else None
        params_b, size_class = capability(params.registry.get(model) if model else None)
        x = params_b if params_b else right * (1 + 0.15 * (size_class or 0))
        y = row.PersonaScore
        if y is None or (isinstance(y, float) and math.isnan(y)):
            continue
        if row.source == "ours":
            low, high = (
                ours.loc[model, "PersonaScore ci_low"],
                ours.loc[model, "PersonaScore ci_high"],
            )
            err = None if math.isnan(low) else [[y - low], [high - y]]
            ax.errorbar(
                x, y, yerr=err, fmt="o", color="C0", capsize=3, label="ours (95% bootstrap CI)"
            )
        else:
            ax.plot(x, y, "s", color="C1", label="published (PersonaGym repo)")
        ax.annotate(
            model or row.published_run,
            (x, y),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.set_xlabel("parameters (billions, model registry; unknown -> right band by size class)")
    ax.set_ylabel("PersonaScore (1-5)")
    ax.set_ylim(0.8, 5.2)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower right")
    mode = "published quirks" if params.published_quirks else "principled scoring"
    ax.set_title(f"PersonaScore vs model size ({mode})", fontsize=10)
    save_figure(fig, outputs["pdf"], outputs["png"])
    plt.close(fig)
