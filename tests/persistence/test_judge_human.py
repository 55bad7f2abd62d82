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


def test_human_samples_step_judges_a_few_items_per_task(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from personascope.engines import CachedEngine
    from personascope.io import read_parquet
    from personascope.models import EngineSet
    from personascope.persistence import judge
    from step_support import call_step

    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location("pp_scripted_h", here.parent / "scripted.py")
    scripted = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scripted)

    def verdict(request) -> str:
        prompt = request.messages[-1]["content"]
        if "Response A:" in prompt:
            return "**Reasoning:** x\n\n**Result:** A"
        if "Yes/No" in prompt:
            return "**Reasoning:** x\n\n**Result:** Yes"
        return "**Reasoning:** x\n\n**Result:** 4"

    def open_(self, name):
        if name not in self.engines:
            self.engines[name] = CachedEngine(
                scripted.FunctionEngine(scripted.spec(name), verdict), None
            )
        return self.engines[name]

    monkeypatch.setattr(EngineSet, "open", open_)
    pp = shared_data / "persistent-personas"
    inputs = {
        "roles": pp / "roles.json",
        "bfi": shared_data / "incharacter/BFI.json",
        **{f"human_{t}": pp / Path(f).name for t, f in human.TASKS.items()},
    }
    out = {"judgments": tmp_path / "h.parquet", "usage": tmp_path / "h.json"}
    call_step(
        judge.human_samples,
        inputs,
        out,
        judge="m",
        samples=3,
        seed=42,
        system_prompt=None,
        protocol={"local": str(pp / "protocol-literals.json")},
        sampling={},
        checks=[],
        judge_mode="free",
        models={"m": {"engine": "local", "model": "t/m", "family": "t", "size_class": 1}},
        cache_dir=str(tmp_path / "cache"),
    )
    judged = read_parquet(out["judgments"])
    assert judged.groupby("task").size().to_dict() == {t: 3 for t in human.TASKS}
    assert set(judged.status) == {"ok"}
    assert set(judged[judged.task == "xstest"].verdict) == {"Yes"}
    table = human.agreement_table(judged).set_index("task")
    assert (table["n"] == 3).all() and (table["parse_failures"] == 0).all()
