"""Cohen's and Fleiss' kappa against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from personascope.personalens.agreement import agreement_table, cohen, fleiss, read_ratings


def test_cohen_unweighted_binary() -> None:
    # judge [1,1,0,0] vs annotator [1,0,0,0]: observed agreement 3/4;
    # chance = P(1)P(1) + P(0)P(0) = 1/2*1/4 + 1/2*3/4 = 1/2; kappa = (3/4-1/2)/(1/2) = 1/2
    assert cohen([1, 1, 0, 0], [1, 0, 0, 0], weighted=False) == pytest.approx(0.5)


def test_cohen_quadratic_weighted() -> None:
    # a=[1,2,3], b=[1,2,2], weights (i-j)^2 (normalization cancels).
    # observed mean weight: (0 + 0 + 1)/3 = 1/3
    # expected: marginals a = (1/3,1/3,1/3), b = (1/3,2/3,0):
    #   sum_ij a_i b_j (i-j)^2 = 1/3*[(2/3)*1] + 1/3*[(1/3)*1] + 1/3*[(1/3)*4 + (2/3)*1] = 1
    # kappa = 1 - (1/3)/1 = 2/3
    assert cohen([1, 2, 3], [1, 2, 2], weighted=True) == pytest.approx(2 / 3)
    # unweighted: po = 2/3, pe = 1/3*1/3 + 1/3*2/3 + 0 = 1/3, kappa = (2/3-1/3)/(2/3) = 1/2
    assert cohen([1, 2, 3], [1, 2, 2], weighted=False) == pytest.approx(1 / 2)


def test_cohen_undefined_cases_are_nan() -> None:
    assert pd.isna(cohen([1], [1], weighted=True))
    assert pd.isna(cohen([2, 2, 2], [2, 2, 2], weighted=False))


def test_fleiss_by_hand() -> None:
    # 3 items, 2 raters: [1,1], [0,0], [1,0]. P_i = 1, 1, 0 -> mean 2/3;
    # category shares 1/2, 1/2 -> P_e = 1/2; kappa = (2/3 - 1/2)/(1/2) = 1/3
    ratings = pd.DataFrame({"a": [1, 0, 1], "b": [1, 0, 0]})
    assert fleiss(ratings) == pytest.approx(1 / 3)


def write_ratings(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["dialogue_id,annotator,metric,rating", *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_agreement_table_averages_annotators_and_skips_failed_judgments(tmp_path: Path) -> None:
    judgments = pd.DataFrame(
        {
            "dialogue_id": ["d1", "d2", "d3", "d4"],
            "dimension": ["task_completion"] * 4,
            "turn": [None] * 4,
            "value": [1.0, 1.0, 0.0, None],
            "status": ["ok", "ok", "ok_after_reask", "parse_failure"],
        }
    )
    path = write_ratings(
        tmp_path / "h.csv",
        [
            # annotator A agrees on d1..d3 -> kappa 1
            ("d1", "A", "task_completion", "True"),
            ("d2", "A", "task_completion", "yes"),
            ("d3", "A", "task_completion", "False"),
            ("d4", "A", "task_completion", "True"),
            # annotator B: [1,0,0] vs judge [1,1,0]: po = 2/3,
            # pe = 2/3*1/3 + 1/3*2/3 = 4/9, kappa = (2/3-4/9)/(5/9) = 2/5
            ("d1", "B", "task_completion", "1"),
            ("d2", "B", "task_completion", "0"),
            ("d3", "B", "task_completion", "0"),
        ],
    )
    table = agreement_table(judgments, read_ratings(path)).set_index("metric")
    row = table.loc["task_completion"]
    assert row["judge_pairs"] == 6  # d4 failed to parse: never paired
    assert row["cohen_kappa"] == pytest.approx((1 + 2 / 5) / 2)
    # two values: the quadratic weights change nothing
    assert row["cohen_kappa_weighted"] == pytest.approx(row["cohen_kappa"])
    # Fleiss over the 3 items both rated: [1,1],[1,0],[0,0] -> P = 1,0,1 -> 2/3;
    # shares 1/2 -> P_e 1/2 -> 1/3
    assert row["fleiss_items"] == 3
    assert row["fleiss_kappa"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("d1", "A", "personalization", "5"), "not an integer in 1..4"),
        (("d1", "A", "task_completion", "maybe"), "not True/False"),
        (("d1", "A", "fluency", "3"), "unknown metric"),
    ],
)
def test_bad_ratings_name_the_row(tmp_path: Path, row: tuple[str, ...], message: str) -> None:
    path = write_ratings(tmp_path / "h.csv", [row])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=message) as err:
        read_ratings(path)
    assert "h.csv:2" in str(err.value)


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("dialogue_id,metric,rating\nd1,personalization,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="annotator"):
        read_ratings(path)
