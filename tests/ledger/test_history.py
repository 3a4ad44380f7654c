"""The agreement history: identity across spellings, partial snapshots, status."""

from __future__ import annotations

import datetime as dt

from sharemap.kb.model import AgreementStatus, ListKind, Model287g
from sharemap.ledger.history import SnapshotMeta, build_history, find_partial
from sharemap.ledger.linkage import agency_key
from sharemap.ledger.lists import ListRow
from sharemap.ledger.snapshots import rows_table


def test_spelling_variants_share_one_key() -> None:
    variants = [
        "Galveston County Sheriff's Office",
        "Galveston County Sheriff’s Office",
        "GALVESTON COUNTY SHERIFFS OFFICE ",
        "Galveston Co. Sheriff's Office",
    ]
    assert len({agency_key("TX", v) for v in variants}) == 1
    assert agency_key("TX", "Galveston Police Department") != agency_key("TX", variants[0])
    assert agency_key("AL", "Galveston County Sheriff's Office") != agency_key("TX", variants[0])


def _row(agency: str, model: Model287g, signed: dt.date | None = dt.date(2025, 3, 1)) -> ListRow:
    return ListRow(1, "MD", "MARYLAND", agency, None, None, model, signed, None, None, None)


def _meta(sid: str, day: int, rows: int) -> SnapshotMeta:
    return SnapshotMeta(sid, ListKind.PARTICIPATING, dt.datetime(2026, 1, day), rows, sid)


def test_partial_snapshot_never_ends_an_agreement() -> None:
    filler = [_row(f"Agency {i}", Model287g.TFM) for i in range(20)]
    kept = _row("Cecil County Sheriff's Office", Model287g.JEM, dt.date(2020, 3, 9))
    metas = [_meta(f"s{d}", d, 21 if d != 4 else 3) for d in range(1, 9)]
    rows = {m.snapshot_id: [*filler, kept] for m in metas}
    rows["s4"] = filler[:3]  # a partial file: the JEM agreement is missing from it only
    history = build_history(metas, rows_table(rows.items()))
    assert history.partial == {"s4"}
    (jem,) = [a for a in history.agreements if a.model is Model287g.JEM]
    assert jem.status is AgreementStatus.ACTIVE and jem.last_seen == dt.date(2026, 1, 8)
    assert jem.snapshot_count == 7  # listed by every file but the partial one
    listed = {r["snapshot_id"] for r in history.links.to_pylist() if r["agreement_id"] == jem.agreement_id}
    assert "s4" not in listed and len(listed) == 7


def test_ended_and_superseded() -> None:
    filler = [_row(f"Agency {i}", Model287g.TFM) for i in range(10)]
    old = _row("Frederick County Sheriff's Office", Model287g.JEM, dt.date(2020, 6, 9))
    new = _row("Frederick County Sheriffs Office", Model287g.JEM, dt.date(2025, 6, 9))
    gone = _row("Harford County Sheriff's Office", Model287g.WSO)
    metas = [_meta(f"s{d}", d, 12) for d in range(1, 7)]
    rows = {
        "s1": [*filler, old, gone],
        "s2": [*filler, old, gone],
        "s3": [*filler, new, gone],
        "s4": [*filler, new],
        "s5": [*filler, new],
        "s6": [*filler, new],
    }
    history = build_history(metas, rows_table(rows.items()))
    by_signed = {(a.model, a.signed): a for a in history.agreements}
    superseded = by_signed[(Model287g.JEM, dt.date(2020, 6, 9))]
    assert superseded.status is AgreementStatus.SUPERSEDED
    assert superseded.superseded_by == by_signed[(Model287g.JEM, dt.date(2025, 6, 9))].agreement_id
    ended = next(a for a in history.agreements if a.model is Model287g.WSO)
    assert ended.status is AgreementStatus.ENDED
    assert (ended.last_seen, ended.ended_on) == (dt.date(2026, 1, 3), dt.date(2026, 1, 4))


def test_a_real_drop_is_not_partial() -> None:
    metas = [_meta(f"s{d}", d, 100 if d < 5 else 40) for d in range(1, 11)]
    assert find_partial(metas) == set()  # later lists stay small: agencies really left


def test_pending_to_signed() -> None:
    pend = SnapshotMeta("p1", ListKind.PENDING, dt.datetime(2025, 3, 1), 1, "p1")
    sign = SnapshotMeta("a1", ListKind.PARTICIPATING, dt.datetime(2025, 4, 1), 1, "a1")
    row = _row("Garrett County Sheriff's Office", Model287g.WSO)
    history = build_history([pend, sign], rows_table([("p1", [row]), ("a1", [row])]))
    (p,) = history.pending
    assert p.status == "signed" and p.signed_first_seen == dt.date(2025, 4, 1)
    assert p.signed_agreement_id == history.agreements[0].agreement_id
