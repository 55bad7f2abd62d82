"""Statistics shared by the studies: seeded percentile bootstrap CIs and summaries."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BOOTSTRAP_SEED = 42
BOOTSTRAP_RESAMPLES = 1000


def bootstrap_ci(
    values: np.ndarray | list[float],
    statistic: Callable[..., np.ndarray] = np.mean,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of `statistic` (called with `axis=1` on the resample matrix);
    NaN bounds when fewer than two values."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, data.size, size=(resamples, data.size))
    stats = statistic(data[idx], axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(low), float(high)


def mean_ci(values: np.ndarray | list[float], **kwargs: float) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) over the non-missing values."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        return (float("nan"), float("nan"), float("nan"), 0)
    low, high = bootstrap_ci(data, **kwargs)  # type: ignore[arg-type]
    return float(data.mean()), low, high, int(data.size)
