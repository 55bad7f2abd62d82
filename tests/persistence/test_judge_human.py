"""Judge validation against the released human ratings: requests and the agreement table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from personascope.errors import InputDataError
from personascope.persistence import human
from personascope.protocol import load_pack


@pytest.fixture()
def pack(shared_data: Path):
    path = shared_data / "persistent-personas/protocol-literals.json"
    return load_pack("persistent-personas", {"local": str(path)})


def first_row(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.DictReader(fh))


def test_role_files_name_the_persona() -> None:
    assert human.role_of("interview_Blair_Waldorf_shuffle.json.csv", "t") == "Blair Waldorf"
    assert human.role_of("bfi_HAL_9000_102.json.csv", "t") == "HAL 9000"
    assert human.role_of("instruction_role_specific_Gaston_0.json.csv", "t") == "Gaston"
    with pytest.raises(InputDataError, match="does not name a persona"):
        human.role_of("notes.txt", "t")


def test_validation_requests_are_built_like_the_studys_own(pack, shared_data: Path) -> None:
    pp = shared_data / "persistent-personas"
    roles = json.loads((pp / "roles.json").read_text(encoding="utf-8"))
    bfi = json.loads((shared_data / "incharacter/BFI.json").read_text(encoding="utf-8"))
    traits = [q["dimension"] for q in bfi["questions"].values()]
    rec = first_row(pp / "sampled_ratings.csv")
    dataset, prompt = human.sample_request("fidelity", rec, roles, traits, pack)
    assert dataset == f"fidelity_{rec['metric']}"
    turn = human.message_content(rec["input"])
    assert f"<user_query>\n{turn}\n</user_query>" in prompt and "{'role'" not in prompt
    rec = first_row(pp / "sampled_instruction_general_ratings.csv")
    dataset, prompt = human.sample_request("rolebench_general", rec, roles, traits, pack)
    assert prompt.index(rec["responseA"]) < prompt.index(rec["responseB"])  # as annotated
    rec = first_row(pp / "sampled_bfi_ratings.csv")
    _, prompt = human.sample_request("bfi", rec, roles, traits, pack)
    trait = traits[int(rec["idx"])].lower()
    key = f"data/prompts.py::{trait}_prompt.evaluation_criteria"
    assert key in {u["key"] for u in pack.used()}


def test_agreement_table_measures_kappa_mae_within_one_and_accuracy() -> None:
    rows = [
        ("fidelity", "5", "5", "ok"),
        ("fidelity", "4", "2", "ok"),
        ("fidelity", "3", "3", "ok"),
        ("fidelity", "1", None, "parse_failure"),
        ("xstest", "Yes", "Yes", "ok"),
        ("xstest", "No", "Yes", "ok"),
        ("rolebench_general", "A", "A", "ok_after_reask"),
        ("rolebench_general", "B", "A", "ok"),
    ]
    judged = pd.DataFrame(rows, columns=["task", "human", "verdict", "status"])
    table = human.agreement_table(judged).set_index("task")
    fid = table.loc["fidelity"]
    assert (fid.n, fid.parse_failures) == (3, 1)
    assert fid.mae == pytest.approx(2 / 3)
    assert fid.within_one == pytest.approx(200 / 3)
    assert -1 <= fid.cohen_kappa <= 1
    assert table.loc["xstest"].accuracy == 50.0
    assert table.loc["rolebench_general"].accuracy == 50.0
    assert table.loc["bfi"].n == 0 and pd.isna(table.loc["bfi"].cohen_kappa)
