"""A synthetic Persistent Personas ratings table with known effects (seeded), for the statistics
tests. Effects are set on the 0-100 scale the statistics report, then written back on each
dataset's native scale (Likert 1-5: r = 1 + v / 25), so recovering them checks the whole path
ratings -> scaling -> observations -> bootstrap / MixedLM.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# The paper's size coding: 1 smallest of a family, 2 largest, 3 the closed API model.
REGISTRY = {
    "gemma-s": {"engine": "local", "model": "x", "family": "gemma", "size_class": 1},
    "gemma-l": {"engine": "local", "model": "x", "family": "gemma", "size_class": 2},
    "qwen-s": {"engine": "local", "model": "x", "family": "qwen", "size_class": 1},
    "qwen-l": {"engine": "local", "model": "x", "family": "qwen", "size_class": 2},
    "nemo-s": {"engine": "local", "model": "x", "family": "nemotron", "size_class": 1},
    "nemo-l": {"engine": "local", "model": "x", "family": "nemotron", "size_class": 2},
    "api": {"engine": "openai", "model": "x", "family": "gemini", "size_class": 3},
}
ROLES = [
    "Gaston",
    "Michael Scott",
    "Blair Waldorf",
    "Lestat de Lioncourt",
    "HAL 9000",
    "Juno MacGuff",
]


@dataclass
class Truth:
    """Known effects, in 0-100 points."""

    base: float = 50.0
    persona_effect: float = 10.0  # persona - baseline at every round ...
    persona_per_size: float = 0.0  # ... + this x size_class (the personalization cost's slope)
    # length cost (last - first round) of fidelity_style = cost_intercept + cost_per_size * size
    cost_intercept: float = -2.0
    cost_per_size: float = -4.0
    noise_sd: float = 3.0  # per observation
    role_sd: float = 2.0  # random intercept per model x role
    fidelity_rounds: list[int] = field(default_factory=lambda: list(range(1, 21)))
    checkpoints: list[int] = field(default_factory=lambda: [0, 34, 68, 102])
    ifbench_items: int = 30
    ifbench_p: float = 0.6
    bfi_items: int = 44  # InCharacter BFI questions 1..n, rated at random

    def slope(self, size: int) -> float:
        """Per-round slope of fidelity_style that yields the length cost above."""
        span = self.fidelity_rounds[-1] - self.fidelity_rounds[0]
        return (self.cost_intercept + self.cost_per_size * size) / span


def ratings_table(
    truth: Truth | None = None,
    seed: int = 7,
    models: list[str] | None = None,
    roles: list[str] | None = None,
) -> pd.DataFrame:
    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    rows = []
    for model in models or list(REGISTRY):
        size = REGISTRY[model]["size_class"]
        slope = truth.slope(size)
        for role in [*(roles or ROLES), "empty"]:
            effect = (
                0.0 if role == "empty" else truth.persona_effect + truth.persona_per_size * size
            )
            intercept = rng.normal(0.0, truth.role_sd)
            for dtype in ("persona_directed", "goal_oriented"):
                for rnd in truth.fidelity_rounds:
                    value = truth.base + effect + intercept + slope * (rnd - 1)
                    value += rng.normal(0.0, truth.noise_sd)
                    rows.append(
                        {
                            "model": model,
                            "role": role,
                            "dialogue_type": dtype,
                            "round": rnd,
                            "dataset": "fidelity_style",
                            "item": f"{dtype}-{rnd}",
                            "rating": float(np.clip(1 + value / 25, 1, 5)),
                            "prefix_tokens": 150 * (rnd - 1),
                        }
                    )
                for k in truth.checkpoints:
                    for i in range(truth.ifbench_items):
                        rows.append(
                            {
                                "model": model,
                                "role": role,
                                "dialogue_type": dtype,
                                "round": k,
                                "dataset": "ifbench_strict",
                                "item": f"if-{i}",
                                "rating": float(rng.random() < truth.ifbench_p),
                                "prefix_tokens": 150 * k,
                            }
                        )
                    for q in range(1, truth.bfi_items + 1):
                        rows.append(
                            {
                                "model": model,
                                "role": role,
                                "dialogue_type": dtype,
                                "round": k,
                                "dataset": "bfi",
                                "item": str(q),
                                "rating": float(rng.integers(1, 6)),
                                "prefix_tokens": 150 * k,
                            }
                        )
    return pd.DataFrame(rows)
