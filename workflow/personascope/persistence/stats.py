"""The statistics stage of Persistent Personas (results/persistence/stats/): the ratings table (the
workflow's own, or config persistence.ratings_table) turned into 0-100 metric observations, the one
input of every table and figure, and the coverage report that names absent datasets."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from ..io import read_parquet, write_json, write_parquet
from ..steps import step
from .statistics import coverage, load_bfi_key, metric_observations, read_ratings_table

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ObservationParams:
    bfi_reverse_keying: bool


@step(ObservationParams)
def observations(
    inputs: dict[str, Any], outputs: dict[str, Path], params: ObservationParams
) -> None:
    """ratings table -> metric observations (Parquet) + coverage (JSON)."""
    ratings = read_ratings_table(inputs["ratings"])
    roles = sorted(set(ratings["role"]))
    key = load_bfi_key(inputs["bfi"], read_parquet(inputs["labels"]), roles)
    log.info("BFI labels found for roles %s", sorted(key.labels))
    obs = metric_observations(ratings, key, params.bfi_reverse_keying)
    cov = coverage(obs, ratings)
    if cov["absent"]:
        log.warning("no data for: %s", ", ".join(cov["absent"]))
    write_parquet(obs, outputs["observations"])
    write_json(cov, outputs["coverage"])
