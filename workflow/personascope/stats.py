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


def cluster_mean_ci(
    values: np.ndarray | list[float],
    clusters: np.ndarray | list[str],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) with a cluster bootstrap: whole clusters (e.g. the users whose
    dialogues share a persona) are resampled, not single values, so correlated values within a
    cluster do not narrow the interval. NaN bounds with fewer than two clusters."""
    data = np.asarray(values, dtype=float)
    groups = np.asarray(clusters)
    keep = ~np.isnan(data)
    data, groups = data[keep], groups[keep]
    if data.size == 0:
        return (float("nan"), float("nan"), float("nan"), 0)
    names, index = np.unique(groups, return_inverse=True)
    if names.size < 2:
        return (float(data.mean()), float("nan"), float("nan"), int(data.size))
    sums = np.bincount(index, weights=data, minlength=names.size)
    counts = np.bincount(index, minlength=names.size).astype(float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, names.size, size=(resamples, names.size))
    stats = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(data.mean()), float(low), float(high), int(data.size)
