"""The region rows of the paper's demographics table (Table 7), from the country of birth.

The paper does not say how it grouped countries. Its region rows are PRISM's regions (Kirk et
al., 2024, the survey the profiles come from), and on the release they come out exactly from
`birth_country`, not `reside_country`: US 338, UK 292, Europe 313, Latin America and the
Caribbean 146, Australia and New Zealand 129, Africa 118, Asia 60, Northern America 50, Middle
East 50, Oceania 1, Prefer not to say 3 (tests/personalens/test_regions.py checks them against
the release). The United States, the United Kingdom and Canada ("Northern America") are rows of
their own. A country not listed is an error naming it, never bucketed silently.
"""

from __future__ import annotations

from ..errors import InputDataError

NOT_SAID = "Prefer not to say"
COUNTRY_COLUMN = "birth_country"

PAPER_REGIONS: dict[str, tuple[str, ...]] = {
    "US": ("United States",),
    "UK": ("United Kingdom",),
    "Northern America": ("Canada",),
    "Australia and New Zealand": ("Australia", "New Zealand"),
    "Oceania": ("Tonga", "Fiji", "Samoa", "Papua New Guinea"),
    "Latin America and the Caribbean": (
        "Mexico",
        "Chile",
        "Argentina",
        "Bolivia, Plurinational State of",
        "Brazil",
        "Colombia",
        "Costa Rica",
        "Cuba",
        "Dominican Republic",
        "Ecuador",
        "El Salvador",
        "Guatemala",
        "Guyana",
        "Honduras",
        "Jamaica",
        "Nicaragua",
        "Panama",
        "Paraguay",
        "Peru",
        "Puerto Rico",
        "Trinidad and Tobago",
        "Uruguay",
        "Venezuela, Bolivarian Republic of",
    ),
    "Middle East": (
        "Israel",
        "Türkiye",
        "Kuwait",
        "Iran, Islamic Republic of",
        "Iraq",
        "Jordan",
        "Lebanon",
        "Saudi Arabia",
        "United Arab Emirates",
    ),
    "Africa": (
        "South Africa",
        "Nigeria",
        "Ghana",
        "Kenya",
        "Zambia",
        "Sudan",
        "Malawi",
        "Côte d'Ivoire",
        "Lesotho",
        "Tanzania, United Republic of",
        "Egypt",
        "Morocco",
        "Zimbabwe",
        "Botswana",
        "Namibia",
        "Uganda",
        "Ethiopia",
    ),
    "Asia": (
        "Afghanistan",
        "Bangladesh",
        "China",
        "Hong Kong",
        "India",
        "Indonesia",
        "Japan",
        "Kazakhstan",
        "Korea, Republic of",
        "Malaysia",
        "Nepal",
        "Pakistan",
        "Philippines",
        "Singapore",
        "Sri Lanka",
        "Taiwan",
        "Thailand",
        "Viet Nam",
    ),
    "Europe": (
        "Austria",
        "Belarus",
        "Belgium",
        "Bosnia and Herzegovina",
        "Bulgaria",
        "Croatia",
        "Cyprus",
        "Czechia",
        "Denmark",
        "Estonia",
        "Finland",
        "France",
        "Germany",
        "Greece",
        "Hungary",
        "Iceland",
        "Ireland",
        "Italy",
        "Latvia",
        "Lithuania",
        "Luxembourg",
        "Malta",
        "Netherlands",
        "Norway",
        "Poland",
        "Portugal",
        "Romania",
        "Russian Federation",
        "Serbia",
        "Slovakia",
        "Slovenia",
        "Spain",
        "Sweden",
        "Switzerland",
        "Ukraine",
    ),
}
COUNTRY_REGION = {c: region for region, countries in PAPER_REGIONS.items() for c in countries}


def region_of(country: str) -> str:
    if country in (NOT_SAID, "", "N/A"):
        return NOT_SAID
    try:
        return COUNTRY_REGION[country]
    except KeyError:
        raise InputDataError(
            f"profiles.{COUNTRY_COLUMN}: no region for country {country!r}; add it to "
            "personascope/personalens/regions.py PAPER_REGIONS"
        ) from None
