"""The statistics stage of Persistent Personas (results/persistence/stats/): the ratings table (the
workflow's own, or config persistence.ratings_table) turned into 0-100 metric observations, the one
input of every table and figure, and the coverage report that names absent datasets."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import read_parquet, write_json, write_parquet
from ..steps import step
from .data import verify
from .statistics import coverage, load_bfi_key, metric_observations, read_ratings_table

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ObservationParams:
    bfi_reverse_keying: bool
    checks: list[dict[str, str]]


# Read here straight from their pinned source (the labels come verified from the data stage).
PINNED_INPUTS = ("bfi", "roles")


@step(ObservationParams)
def observations(
    inputs: dict[str, Any], outputs: dict[str, Path], params: ObservationParams
) -> None:
    """ratings table -> metric observations (Parquet) + coverage (JSON).

    InCharacter's BFI.json and roles.json (the known roles: a table's role outside them is
    refused) are verified against their manifests before they are read.
    """
    unchecked = sorted(set(PINNED_INPUTS) - {c["name"] for c in params.checks})
    if unchecked:
        raise ConfigError(
            f"step persistence.stats.observations: inputs {unchecked} come from a pinned source "
            f"but have no checksum check"
        )
    for check in params.checks:
        verify(inputs[check["name"]], check["manifest"], check["path"])
        log.info("verified %s (%s)", check["name"], check["path"])
    known_roles = json.loads(Path(inputs["roles"]).read_text(encoding="utf-8"))
    ratings = read_ratings_table(inputs["ratings"], known_roles)
    roles = sorted(set(ratings["role"]))
    key = load_bfi_key(inputs["bfi"], read_parquet(inputs["labels"]), roles)
    log.info("BFI labels found for roles %s", sorted(key.labels))
    obs = metric_observations(ratings, key, params.bfi_reverse_keying)
    cov = coverage(obs, ratings)
    if cov["absent"]:
        log.warning("no data for: %s", ", ".join(cov["absent"]))
    write_parquet(obs, outputs["observations"])
    write_json(cov, outputs["coverage"])
