"""The cluster bootstrap resamples whole clusters (users), so correlated values do not narrow it."""

from __future__ import annotations

import math

from personascope.stats import cluster_mean_ci, mean_ci


def test_cluster_ci_is_wider_than_a_per_value_ci_when_clusters_differ():
    values = [1.0] * 50 + [3.0] * 50 + [2.0] * 50
    clusters = ["a"] * 50 + ["b"] * 50 + ["c"] * 50
    mean, low, high, n = cluster_mean_ci(values, clusters)
    _, v_low, v_high, _ = mean_ci(values)
    assert (mean, n) == (2.0, 150)
    assert high - low > 3 * (v_high - v_low)
    assert 1.0 <= low < 2.0 < high <= 3.0


def test_missing_values_are_dropped_and_one_cluster_has_no_interval():
    mean, low, high, n = cluster_mean_ci([1.0, float("nan"), 3.0], ["a", "a", "a"])
    assert (mean, n) == (2.0, 2) and math.isnan(low) and math.isnan(high)
    assert cluster_mean_ci([], [])[3] == 0
