"""The knowledge base loads, is fully sourced, and `check_kb` names file and id for each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.errors import DataError
from sharemap.flows.graph import check_law_hooks
from sharemap.kb.facts import Encounter, SystemSide
from sharemap.kb.load import check_kb, load_kb

BROKEN = Path(__file__).parents[1] / "fixtures" / "kb" / "broken"


def test_shipped_kb_is_sound() -> None:
    assert check_kb() == []
    kb = load_kb()
    assert check_law_hooks(kb) == []
    assert len(kb.data_elements) >= 40
    assert set(kb.encounters) == set(Encounter)
    assert any(s.side is SystemSide.ICE for s in kb.systems.values())


def test_every_entry_cites_a_resolvable_source() -> None:
    kb = load_kb()
    for table in (
        kb.systems,
        kb.channels,
        kb.data_elements,
        kb.forms,
        kb.programs,
        kb.authorities,
        kb.figures,
    ):
        for entry in table.values():
            assert entry.sources, entry.id
            for sid in entry.sources:
                src = kb.sources[sid]
                assert src.title and src.url, sid


def test_issue_systems_and_elements_are_present() -> None:
    kb = load_kb()
    for sid in (
        "sys.livescan", "sys.sib", "sys.ngi", "sys.ncic_iii", "sys.ident_hart", "sys.lesc", "sys.perc",
        "sys.ero_field_office", "sys.eid", "sys.nlets", "sys.dmv_records", "sys.dmv_photo_search", "sys.irs",
        "sys.cms_medicaid", "sys.flock", "sys.vigilant_lpr", "sys.lexisnexis_accurint", "sys.appriss_vine",
        "sys.mobile_biometrics",
    ):  # fmt: skip
        assert sid in kb.systems
    assert {"EARM", "EAGLE", "EDDIE"} <= set(kb.systems["sys.eid"].applications)
    for el in (
        "de.name", "de.aliases", "de.dob", "de.a_number", "de.fbi_number_ucn", "de.sid", "de.photo_face",
        "de.fingerprints", "de.plate_reads", "de.location_encounter", "de.tax_address", "de.medicaid_address",
        "de.immigration_status", "de.criminal_history", "de.custody_status", "de.booking_release_datetime",
    ):  # fmt: skip
        assert el in kb.data_elements
    for form in ("form.i247a", "form.i200", "form.i205", "form.i213", "form.i203", "form.iaq_iar"):
        assert form in kb.forms
    assert kb.forms["form.i203"].title_verified is False


def test_unknown_latency_is_not_filled_in() -> None:
    kb = load_kb()
    for ch in kb.channels.values():
        if not ch.latency.disclosed:
            assert ch.latency.seconds is None, ch.id
    assert kb.figures["fig.booking_to_detainer_time"].value is None
    assert kb.figures["fig.booking_to_detainer_time"].confidence.value == "not_found"


def test_broken_fixture_names_file_and_id() -> None:
    problems = {(p.file, p.entry_id, p.field): p.message for p in check_kb(BROKEN)}
    assert "missing source" in problems[("data_elements.yaml", "de.no_source", "sources")]
    assert "unknown system 'sys.nowhere'" in problems[("channels.yaml", "chan.to_nowhere", "to_system")]
    assert (
        "unknown data element 'de.not_an_element'"
        in problems[("channels.yaml", "chan.bad_element", "carries.0.element")]
    )
    assert (
        "unknown source 'no_such_source'"
        in problems[("channels.yaml", "chan.bad_source", "carries.0.sources")]
    )
    assert len(problems) == 4


def test_load_raises_data_error_with_file() -> None:
    with pytest.raises(DataError) as err:
        load_kb(BROKEN)
    text = str(err.value)
    assert "data_elements.yaml" in text and "de.no_source" in text


def test_schema_errors_name_file_id_and_field(tmp_path: Path) -> None:
    for f in BROKEN.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "systems.yaml").write_text(
        "- id: sys.livescan\n  name: x\n  operator: y\n  side: martian\n  sources: [sc_sop]\n"
    )
    problems = check_kb(tmp_path)
    assert any(
        p.file == "systems.yaml" and p.entry_id == "sys.livescan" and p.field == "side" for p in problems
    )
