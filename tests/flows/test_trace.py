"""Traces for real places and their expected differences."""

from __future__ import annotations

import datetime as dt
import json

from flows_places import COLLIER, COLLIER_AGREEMENTS, COOK, DAY, YUMA, YUMA_AGREEMENTS, agreement
from hypothesis import given, settings
from hypothesis import strategies as st

from sharemap.flows.graph import CachedRules, EdgeStatus, agreement_active, encounter_paths, instantiate
from sharemap.flows.trace import Trace, compare, trace
from sharemap.kb.facts import Encounter, SystemSide
from sharemap.kb.load import load_kb
from sharemap.kb.model import AgreementStatus, Model287g

FINGERPRINTS = "chan.livescan_to_sib > chan.sib_to_ngi > chan.ngi_to_ident > chan.ident_to_lesc"


def path(t: Trace, pid: str):  # type: ignore[no-untyped-def]
    return next(p for p in t.paths if p.id == pid)


def test_every_encounter_has_paths_ending_at_ice() -> None:
    kb = load_kb()
    ice = {s for s, v in kb.systems.items() if v.side is SystemSide.ICE}
    for enc in Encounter:
        paths = encounter_paths(kb, enc)
        assert paths, enc
        for p in paths:
            assert kb.channels[p[-1]].to_system in ice
            assert all(kb.channels[c].from_system not in ice for c in p)


def test_florida_jem_county(rules: CachedRules) -> None:
    t = trace(instantiate(COLLIER, DAY, COLLIER_AGREEMENTS, rules), Encounter.BOOKING)
    jem = path(t, "chan.jem_jail_screening")
    assert jem.status is EdgeStatus.OPEN
    assert "Collier County Sheriff's Office" in jem.hops[0].edge.agreements[0]
    assert {"de.statements", "de.detainer_info"} <= set(jem.elements)
    hold = path(t, "chan.detainer_hold_transfer")
    assert hold.status is EdgeStatus.OPEN
    assert hold.hops[0].edge.required, "Florida requires holds on detainers"
    assert hold.local_can_decline is False
    assert any(pid.startswith("FL-") for r in hold.hops[0].edge.rulings for pid in r.provisions)
    prints = path(t, FINGERPRINTS)
    assert prints.status is EdgeStatus.OPEN and prints.local_can_decline is False
    assert "de.statements" in t.elements_reaching
    # Task-force field work exists here too (TFM signed 2025-02-24).
    field = trace(instantiate(COLLIER, DAY, COLLIER_AGREEMENTS, rules), Encounter.TRAFFIC_STOP)
    assert path(field, "chan.tfm_field_arrest").status is EdgeStatus.OPEN


def test_illinois_county(rules: CachedRules) -> None:
    g = instantiate(COOK, DAY, (), rules)
    t = trace(g, Encounter.BOOKING)
    prints = path(t, FINGERPRINTS)
    assert prints.status is EdgeStatus.OPEN, "fingerprints still reach IDENT and LESC through the FBI"
    assert "de.fingerprints" in prints.elements
    for cid in ("chan.detainer_hold_transfer", "chan.release_notification"):
        p = path(t, cid)
        assert p.status is EdgeStatus.CLOSED_BY_LAW, cid
        assert any(pid.startswith("IL-") for r in p.hops[0].edge.rulings for pid in r.provisions)
    assert path(t, "chan.jem_jail_screening").status is EdgeStatus.INACTIVE
    plates = trace(g, Encounter.PLATE_READ)
    assert plates.paths and all(p.status is EdgeStatus.CLOSED_BY_LAW for p in plates.paths)
    assert "Closed by law here" in t.summary()


def test_wso_only_county(rules: CachedRules) -> None:
    g = instantiate(YUMA, DAY, YUMA_AGREEMENTS, rules)
    t = trace(g, Encounter.BOOKING)
    assert path(t, "chan.wso_warrant_service").status is EdgeStatus.OPEN
    assert path(t, "chan.jem_jail_screening").status is EdgeStatus.INACTIVE
    # ICE, not a local officer, issues the detainer: the ICE-to-jail detainer hop is in place.
    assert g.edges["chan.detainer_to_jail"].status is not EdgeStatus.INACTIVE
    assert "de.statements" not in {e for p in t.paths if p.reaches_ice for e in p.elements if "jem" in p.id}
    field = trace(g, Encounter.TRAFFIC_STOP)
    assert path(field, "chan.tfm_field_arrest").status is EdgeStatus.INACTIVE
    # Before the agreement was signed the WSO hop did not exist.
    before = trace(instantiate(YUMA, dt.date(2025, 5, 1), YUMA_AGREEMENTS, rules), Encounter.BOOKING)
    diff = compare(before, t)
    assert any(c.path == "chan.wso_warrant_service" and c.before is EdgeStatus.INACTIVE for c in diff.changes)


def test_places_compared(rules: CachedRules) -> None:
    fl = trace(instantiate(COLLIER, DAY, COLLIER_AGREEMENTS, rules), Encounter.BOOKING)
    il = trace(instantiate(COOK, DAY, (), rules), Encounter.BOOKING)
    diff = compare(fl, il)
    assert not diff.same
    assert "de.statements" in diff.elements_removed
    changed = {c.path for c in diff.changes}
    assert {"chan.detainer_hold_transfer", "chan.release_notification", "chan.jem_jail_screening"} <= changed
    assert compare(fl, fl).same


def test_dates_compared_illinois_plate_reader_law(rules: CachedRules) -> None:
    before = trace(instantiate(COOK, dt.date(2023, 6, 1), (), rules), Encounter.PLATE_READ)
    after = trace(instantiate(COOK, dt.date(2024, 6, 1), (), rules), Encounter.PLATE_READ)
    diff = compare(before, after)
    assert any(c.after is EdgeStatus.CLOSED_BY_LAW for c in diff.changes)
    assert "de.plate_reads" in diff.elements_removed


def test_medicaid_elements_follow_the_court_ruling(rules: CachedRules) -> None:
    mid2025 = trace(instantiate("TX", dt.date(2025, 7, 1), (), rules), Encounter.MEDICAID_ENROLMENT)
    y2026 = trace(instantiate("TX", dt.date(2026, 2, 1), (), rules), Encounter.MEDICAID_ENROLMENT)
    assert "de.ssn" in mid2025.paths[0].elements and "de.ssn" not in y2026.paths[0].elements
    assert "de.medicaid_id" in y2026.paths[0].elements
    early = trace(instantiate("TX", dt.date(2025, 1, 1), (), rules), Encounter.MEDICAID_ENROLMENT)
    assert early.paths[0].status is EdgeStatus.INACTIVE


def test_irs_channel_not_open_after_injunction(rules: CachedRules) -> None:
    t = trace(instantiate("TX", dt.date(2026, 1, 15), (), rules), Encounter.TAX_FILING)
    assert t.paths[0].status in (EdgeStatus.UNKNOWN, EdgeStatus.CLOSED_BY_LAW)
    assert t.paths[0].reason


def test_without_law_engine_law_hops_are_unknown() -> None:
    t = trace(instantiate(COOK, DAY, (), None), Encounter.BOOKING)
    assert path(t, FINGERPRINTS).status is EdgeStatus.OPEN
    assert path(t, "chan.detainer_hold_transfer").status is EdgeStatus.UNKNOWN


def test_trace_json_roundtrip(rules: CachedRules) -> None:
    t = trace(instantiate(COLLIER, DAY, COLLIER_AGREEMENTS, rules), Encounter.JAIL_RELEASE)
    data = json.loads(json.dumps(t.to_dict()))
    assert data["encounter"] == "jail_release" and data["paths"]
    hop = data["paths"][0]["hops"][0]
    assert hop["sources"] and all(s["url"] for s in hop["sources"])


def test_agreement_activity() -> None:
    a = agreement("X Sheriff's Office", "TX", Model287g.JEM, dt.date(2025, 3, 1))
    assert not agreement_active(a, dt.date(2025, 2, 28))
    assert agreement_active(a, dt.date(2025, 3, 1))
    ended = a.model_copy(update={"status": AgreementStatus.ENDED, "ended_on": dt.date(2025, 6, 1)})
    assert agreement_active(ended, dt.date(2025, 5, 31)) and not agreement_active(ended, dt.date(2025, 6, 1))
    dropped = a.model_copy(update={"status": AgreementStatus.ENDED, "last_seen": dt.date(2025, 7, 1)})
    assert agreement_active(dropped, dt.date(2025, 7, 1)) and not agreement_active(
        dropped, dt.date(2025, 7, 3)
    )


MODELS = st.sets(st.sampled_from(list(Model287g)))


@settings(max_examples=30, deadline=None)
@given(base=MODELS, extra=MODELS, state=st.sampled_from(["FL", "IL", "AZ", "TX", "CA"]))
def test_signing_an_agreement_never_hides_data(
    base: set[Model287g], extra: set[Model287g], state: str
) -> None:
    """Adding 287(g) agreements never removes a data element that reaches ICE, nor closes an open path."""
    rules = _RULES
    mk = [agreement("Some County Sheriff's Office", state, m, dt.date(2025, 1, 1)) for m in sorted(base)]
    more = mk + [
        agreement("Some County Sheriff's Office", state, m, dt.date(2025, 1, 1)) for m in sorted(extra)
    ]
    for enc in (Encounter.BOOKING, Encounter.TRAFFIC_STOP):
        a = trace(instantiate(state, DAY, mk, rules), enc)
        b = trace(instantiate(state, DAY, more, rules), enc)
        assert set(a.elements_reaching) <= set(b.elements_reaching)
        open_a = {p.id for p in a.paths if p.reaches_ice}
        open_b = {p.id for p in b.paths if p.reaches_ice}
        assert open_a <= open_b


_RULES = CachedRules()


def test_listed_agreement_in_a_state_that_bans_it_is_closed_by_law(rules: CachedRules) -> None:
    """Maryland banned 287(g) agreements from 2026-02-17; an agreement still in force after that is closed."""
    jem = agreement("Frederick County Sheriff's Office", "MD", Model287g.JEM, dt.date(2008, 2, 6))
    before = trace(instantiate("MD", dt.date(2026, 1, 15), [jem], rules), Encounter.BOOKING)
    after = trace(instantiate("MD", dt.date(2026, 3, 1), [jem], rules), Encounter.BOOKING)
    assert path(before, "chan.jem_jail_screening").status is EdgeStatus.OPEN
    closed = path(after, "chan.jem_jail_screening")
    assert closed.status is EdgeStatus.CLOSED_BY_LAW
    assert any(pid.startswith("MD-") for r in closed.hops[0].edge.rulings for pid in r.provisions)
