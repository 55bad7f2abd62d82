"""Dataset statistics on small hand-built tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from personascope.personalens import datastats, regions


def test_domain_table_counts_md_toward_each_domain() -> None:
    scenarios = pd.DataFrame(
        {
            "task_id": ["SD-Alarm-task-1", "SD-Alarm-task-1", "SD-Alarm-task-2", "MD-task-1"],
            "kind": ["SD", "SD", "SD", "MD"],
            "domains": [["Alarm"], ["Alarm"], ["Alarm"], ["Alarm", "Music"]],
        }
    )
    table = datastats.domain_table(scenarios).set_index("domain")
    assert list(table.columns) == ["tasks", "dialogues"]
    assert table.loc["Alarm"].tolist() == [3, 4]
    assert table.loc["Music"].tolist() == [1, 1]
    assert table.loc["SD total"].tolist() == [2, 3]
    assert table.loc["MD total"].tolist() == [1, 1]
    assert table.loc["total"].tolist() == [3, 4]


def test_demographics_percent_and_region() -> None:
    profiles = pd.DataFrame(
        {
            attr: ["x", "x", "y", "y"]
            for attr in datastats.DEMOGRAPHIC_ATTRIBUTES
            if attr != "region"
        }
        # the region comes from the country of birth, not of residence
        | {"birth_country": ["Canada", "Mexico", "Chile", "Prefer not to say"]}
        | {"reside_country": ["United States"] * 4}
    )
    table = datastats.demographics_table(profiles)
    assert list(table.columns) == ["attribute", "value", "count", "percent"]
    region = table[table["attribute"] == "region"].set_index("value")
    assert region.loc["Northern America", "count"] == 1
    assert region.loc["Latin America and the Caribbean", "count"] == 2
    assert region.loc["Latin America and the Caribbean", "percent"] == pytest.approx(50.0)
    assert region.loc["Prefer not to say", "count"] == 1
    assert "US" not in region.index
    assert set(table["attribute"]) == set(datastats.DEMOGRAPHIC_ATTRIBUTES)


def test_unknown_country_is_an_error() -> None:
    with pytest.raises(ValueError, match="Atlantis"):
        regions.region_of("Atlantis")


def test_evenness() -> None:
    assert datastats.evenness([5, 5]) == pytest.approx(1.0)
    # counts 3,1: H = -(3/4 ln 3/4 + 1/4 ln 1/4) = 0.562335; / ln 2 = 0.811278
    assert datastats.evenness([3, 1]) == pytest.approx(0.811278, abs=1e-6)
    assert math.isnan(datastats.evenness([7]))
    assert math.isnan(datastats.evenness([]))


def test_preference_table_counts_list_elements_and_ignores_interest_mask() -> None:
    affinities = pd.DataFrame(
        {
            "user_id": ["u0", "u1", "u2"],
            "domain": ["Music", "Music", "Music"],
            "preference": ["Genre", "Genre", "Genre"],
            "values": [["jazz", "rock"], ["jazz"], ["pop"]],
            "is_list": [True, False, False],
        }
    )
    schema = pd.DataFrame(
        {
            "domain": ["Music", "Music"],
            "preference": ["Genre", "Artist"],
            "categorical": [True, False],
            "possible_values": [["jazz", "rock", "pop", "folk"], ["Adele"]],
        }
    )
    full = datastats.preference_table(affinities, schema)
    assert list(full.columns) == [
        "domain",
        "preference",
        "categorical",
        "possible",
        "generated",
        "evenness",
    ]
    table = full.set_index("preference")
    genre = table.loc["Genre"]
    assert genre["possible"] == 4
    assert genre["generated"] == 3
    # jazz 2, rock 1, pop 1 -> H = 1.5 ln 2 over ln 3
    assert genre["evenness"] == pytest.approx(1.5 * math.log(2) / math.log(3))
    artist = table.loc["Artist"]
    assert pd.isna(artist["possible"])  # open-ended: the schema lists examples only
    assert artist["generated"] == 0
    assert math.isnan(artist["evenness"])


def test_interest_mask_violation_is_reported() -> None:
    scenarios = pd.DataFrame({"user_id": ["u0"], "domains": [["Alarm", "Music"]]})
    interests = pd.DataFrame(
        {"user_id": ["u0", "u0"], "domain": ["Alarm", "Music"], "interested": [1, 0]}
    )
    with pytest.raises(ValueError, match="Music"):
        datastats.check_interest_mask(scenarios, interests)
