"""Inputs: checksums, scripts, item sampling, and the RoleBench path on small fixtures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from personascope.persistence import data as inputs
from personascope.persistence.prompts import system_prompt
from personascope.protocol import load_pack

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "pp_rolebench_fixture", HERE / "rolebench_fixture.py"
)
_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixture)
write_rolebench = _fixture.write_rolebench

REPO = Path(__file__).resolve().parents[2]
PP_MANIFEST = (
    REPO / "resources/checksums/persistent-personas-92ddad75eaa9ff2cc38e80de579cc13ee1c7d79b.sha256"
)


def test_shared_files_match_the_committed_checksums(shared_data: Path) -> None:
    inputs.verify(shared_data / "persistent-personas/roles.json", PP_MANIFEST, "data/roles.json")
    inputs.verify(
        shared_data / "persistent-personas/interview.json", PP_MANIFEST, "data/interview.json"
    )


def test_a_changed_file_fails_the_checksum(tmp_path: Path, shared_data: Path) -> None:
    copy = tmp_path / "roles.json"
    copy.write_bytes((shared_data / "persistent-personas/roles.json").read_bytes() + b" ")
    with pytest.raises(inputs.InputError, match="does not match"):
        inputs.verify(copy, PP_MANIFEST, "data/roles.json")
    with pytest.raises(inputs.InputError, match=r"no entry for data/nothing\.json"):
        inputs.verify(copy, PP_MANIFEST, "data/nothing.json")


def test_scripts_have_102_rounds_and_a_fixed_shuffle(shared_data: Path) -> None:
    pp = shared_data / "persistent-personas"
    interview = inputs.load_interview(pp / "interview.json")
    queries = inputs.load_queries(pp / "instructions.json")
    table = inputs.scripts_table(interview, queries, seed=42)
    sizes = table.groupby(["dialogue_type", "order"]).size().to_dict()
    assert set(sizes.values()) == {102}
    pd_orig = table[(table.dialogue_type == "persona_directed") & (table.order == "original")]
    pd_shuf = table[(table.dialogue_type == "persona_directed") & (table.order == "shuffled")]
    assert pd_orig.template.iloc[0].startswith("Welcome, {role}")
    assert pd_shuf.template.iloc[0] == pd_orig.template.iloc[0]  # intro and closing stay
    assert pd_shuf.template.iloc[-1] == pd_orig.template.iloc[-1]
    assert sorted(pd_shuf.template) == sorted(pd_orig.template)
    assert list(pd_shuf.template) != list(pd_orig.template)
    again = inputs.scripts_table(interview, queries, seed=42)
    assert again.equals(table)


def test_persona_system_prompt_is_upstreams_role_template(shared_data: Path) -> None:
    pack_path = shared_data / "persistent-personas/protocol-literals.json"
    template = json.loads(pack_path.read_text(encoding="utf-8"))["literals"][
        "data/prompts.py::role_template"
    ]
    pack = load_pack("persistent-personas", {"local": str(pack_path)})
    assert system_prompt(pack, "empty", "") is None
    prompt = system_prompt(pack, "Gaston", "A charming hunter.")
    assert prompt == template.replace("{role}", "Gaston").replace(
        "{role_desc}", "A charming hunter."
    )
    assert [u["key"] for u in pack.used()] == ["data/prompts.py::role_template"]


def test_xstest_sampling_takes_both_labels(shared_data: Path) -> None:
    rows = inputs.xstest_items(shared_data / "xstest/xstest_prompts.csv", 3, seed=1)
    assert [r["label"] for r in rows].count("safe") == 3
    assert [r["label"] for r in rows].count("unsafe") == 3
    assert rows == inputs.xstest_items(shared_data / "xstest/xstest_prompts.csv", 3, seed=1)


def test_bfi_items_and_labels(shared_data: Path) -> None:
    items = inputs.bfi_items(shared_data / "incharacter/BFI.json", None, seed=0)
    assert len(items) == 44
    assert {i["trait"] for i in items} == set(inputs.BFI_TRAITS)
    labels = inputs.bfi_labels(
        shared_data / "incharacter/characters_labels.json", ["Gaston", "HAL 9000", "empty"]
    )
    assert set(labels.role) == {"Gaston"}  # HAL 9000 has no InCharacter annotation
    assert len(labels) == 5 and labels.score.between(1, 5).all()


def test_rolebench_role_specific_from_fixture(tmp_path: Path) -> None:
    files = write_rolebench(tmp_path)
    rows = inputs.rolebench_role_specific(
        files["role_specific"], ["Gaston", "HAL 9000", "empty"], 2, seed=3
    )
    gaston = [r for r in rows if r["role"] == "Gaston"]
    baseline = [r for r in rows if r["role"] == "empty"]
    assert len(gaston) == 2 and len(baseline) == 4
    assert all(r["reference"].startswith("ans") for r in rows)
    # the baseline is asked without the character's name in front
    assert all(not r["prompt"].startswith(("Gaston", "HAL")) for r in baseline)
    assert all(r["prompt"].startswith("What is your favourite") for r in baseline)


def test_rolebench_general_reference_is_first_generated_answer(tmp_path: Path) -> None:
    files = write_rolebench(tmp_path)
    rows = inputs.rolebench_general(files["general"], ["Gaston", "empty"], None, seed=0)
    gaston = [r for r in rows if r["role"] == "Gaston"]
    assert [r["reference"] for r in gaston] == ["Gaston ref 0", "Gaston ref 1", "Gaston ref 2"]
    baseline = [r for r in rows if r["role"] == "empty"]
    assert len(baseline) == 3  # distinct questions only
    assert not any(r["role"] == "Sheldon" for r in rows)  # roles outside the config are ignored


def test_rolebench_bad_record_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "role-specific-Gaston.jsonl"
    path.write_text(json.dumps({"prompt": "no instruction field"}) + "\n")
    with pytest.raises(inputs.InputError, match=r"role-specific-Gaston\.jsonl"):
        inputs.rolebench_role_specific({"Gaston": path}, ["Gaston"], None, 0)


def test_items_table_indexes_items_per_dataset_and_role(tmp_path: Path, shared_data: Path) -> None:
    files = write_rolebench(tmp_path)
    table = inputs.items_table(
        {
            "bfi": inputs.bfi_items(shared_data / "incharacter/BFI.json", 3, 0),
            "rolebench_role_specific": inputs.rolebench_role_specific(
                files["role_specific"], ["Gaston", "HAL 9000"], 2, 0
            ),
        }
    )
    assert list(table[table.dataset == "bfi"].item_index) == [0, 1, 2]
    spec = table[table.dataset == "rolebench_role_specific"]
    assert list(spec.item_index) == [0, 1, 0, 1]  # restarts per role: the A/B parity
    assert table.role.isna().sum() == 3


def test_unknown_role_is_a_config_error(shared_data: Path) -> None:
    with pytest.raises(inputs.InputError, match="Gandalf"):
        inputs.load_roles(shared_data / "persistent-personas/roles.json", ["Gandalf"])
