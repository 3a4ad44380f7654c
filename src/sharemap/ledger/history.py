"""From many list snapshots to one row per agreement: first and last seen, status, snapshots.

Pure functions over parsed rows. Two rules carry the weight:
- an agreement is (agency, model, signed date); the agency is recognised across spelling variants;
- a partial snapshot (a day's file with a fraction of the usual rows) can add sightings but can
  never end an agreement.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from sharemap.kb.model import AgreementStatus, ListKind, Model287g
from sharemap.ledger import linkage
from sharemap.ledger.columns import ListRow, latest_row_sql
from sharemap.ledger.linkage import agency_key

PARTIAL_SHARE = 0.8
"""A snapshot is partial when it has fewer rows than this share of its neighbours' median."""
NEIGHBOURS = 5
MIN_PARTIAL_DROP = 50
"""Near the end of a series, a list is partial only when it is also this many rows short (pending
lists hold a few dozen rows and legitimately halve from one day to the next)."""


@dataclass(frozen=True)
class SnapshotMeta:
    snapshot_id: str
    kind: ListKind
    captured: dt.datetime
    rows: int
    sha256: str


@dataclass
class AgreementHistory:
    agreement_id: str
    agency_key: str
    state: str
    model: Model287g
    signed: dt.date | None
    agency_names: list[str]
    latest: ListRow
    moa_url: str | None
    addendum_url: str | None
    first_seen: dt.date
    last_seen: dt.date
    snapshot_count: int = 0
    status: AgreementStatus = AgreementStatus.ACTIVE
    ended_on: dt.date | None = None
    superseded_by: str | None = None


@dataclass
class PendingHistory:
    """An agency's request for one model: pending, signed, already signed, or removed unsigned."""

    pending_id: str
    agency_key: str
    state: str
    model: Model287g | None
    agency_names: list[str]
    latest: ListRow
    first_seen: dt.date
    last_seen: dt.date
    snapshot_count: int = 0
    status: str = "pending"
    signed_agreement_id: str | None = None
    signed_first_seen: dt.date | None = None


@dataclass
class History:
    agreements: list[AgreementHistory]
    pending: list[PendingHistory]
    links: pa.Table
    """(agreement_id, snapshot_id): which snapshots list which agreement."""
    partial: set[str]
    duplicates: dict[str, str]
    latest_complete: dict[ListKind, dt.date]
    name_links: list[linkage.Link] = field(default_factory=list)
    """Every pair of names considered as one agency, with the decision and its evidence."""
    merged_keys: dict[str, str] = field(default_factory=dict)
    """Agency keys folded into another agency (old spelling -> the agency's key)."""
    agency_names: dict[str, list[str]] = field(default_factory=dict)
    """Every name each agency was listed under (its own and its merged spellings' rows)."""
    listing_agreement: dict[str, str] = field(default_factory=dict)
    """Each listing (agreement id under one spelling, before linking) -> the agreement it is part of."""


def find_partial(metas: Sequence[SnapshotMeta]) -> set[str]:
    """Snapshots that read as partial (see partial_reasons)."""
    return set(partial_reasons(metas))


def partial_reasons(metas: Sequence[SnapshotMeta]) -> dict[str, str]:
    """Snapshots with far fewer rows than their neighbours, each with why it reads as partial.

    A list far below the lists both before and after it is partial. So is one far below the lists
    before it (and MIN_PARTIAL_DROP rows short) while fewer than NEIGHBOURS later lists exist to
    confirm the drop: otherwise the newest list, cut short, would end every agreement missing from it.
    A real drop stops reading as partial once NEIGHBOURS later lists confirm it (a run of
    NEIGHBOURS + 1 lists at the lower level).
    """
    partial: dict[str, str] = {}
    by_kind: dict[ListKind, list[SnapshotMeta]] = defaultdict(list)
    for meta in metas:
        by_kind[meta.kind].append(meta)
    for series in by_kind.values():
        series.sort(key=lambda m: m.captured)
        for i, meta in enumerate(series):
            before = [m.rows for m in series[max(0, i - NEIGHBOURS) : i]]
            after = [m.rows for m in series[i + 1 : i + 1 + NEIGHBOURS]]
            if not before:
                continue
            usual = statistics.median(before)
            if after and meta.rows < PARTIAL_SHARE * min(usual, statistics.median(after)):
                partial[meta.snapshot_id] = (
                    f"{meta.rows:,} rows where the lists before and after it hold about {usual:,.0f} "
                    f"and {statistics.median(after):,.0f}"
                )
            elif (
                len(after) < NEIGHBOURS
                and meta.rows < PARTIAL_SHARE * usual
                and usual - meta.rows >= MIN_PARTIAL_DROP
                and not _confirmed_drop(series, i, PARTIAL_SHARE * usual)
            ):
                later = f" and only {len(after)} later lists" if after else ", the newest list"
                partial[meta.snapshot_id] = (
                    f"{meta.rows:,} rows where the {len(before)} lists before it hold "
                    f"about {usual:,.0f}{later}"
                )
    return partial


def _confirmed_drop(series: Sequence[SnapshotMeta], i: int, low: float) -> bool:
    """Whether list i is one of a run of at least NEIGHBOURS + 1 lists below `low` (a real drop)."""
    start = i
    while start > 0 and series[start - 1].rows < low:
        start -= 1
    end = i
    while end + 1 < len(series) and series[end + 1].rows < low:
        end += 1
    return end - start + 1 > NEIGHBOURS


def find_duplicates(metas: Sequence[SnapshotMeta]) -> dict[str, str]:
    """Byte-identical files of the same list: later copies point at the first."""
    first: dict[tuple[ListKind, str], str] = {}
    dupes: dict[str, str] = {}
    for meta in sorted(metas, key=lambda m: m.captured):
        key = (meta.kind, meta.sha256)
        if key in first:
            dupes[meta.snapshot_id] = first[key]
        else:
            first[key] = meta.snapshot_id
    return dupes


def build_history(
    metas: Sequence[SnapshotMeta],
    rows: pa.Table,
    decisions: Sequence[linkage.Decision] | None = None,
    link_names: bool = True,
) -> History:
    """Fold every snapshot's rows (a table with ROW_SCHEMA) into agreement and pending histories.

    The per-row work is a DuckDB aggregation, run once per spelling-insensitive name and, when some
    names turn out to be one agency renamed (see linkage; `decisions` default to the shipped reviewed
    file), once more under the merged names. Python settles the status of each agreement.
    `link_names=False` gives the naive history (each spelling its own agency), for comparison.
    """
    if decisions is None:
        decisions = linkage.load_decisions()
    partial = find_partial(metas)
    duplicates = find_duplicates(metas)
    usable = sorted((m for m in metas if m.snapshot_id not in duplicates), key=lambda m: m.captured)
    complete = {
        kind: [m for m in usable if m.kind is kind and m.snapshot_id not in partial] for kind in ListKind
    }
    latest_complete = {kind: series[-1].captured.date() for kind, series in complete.items() if series}

    con = duckdb.connect()
    try:
        con.register("list_rows", rows)
        con.register(
            "metas",
            pa.table(
                {
                    "snapshot_id": [m.snapshot_id for m in usable],
                    "kind": [m.kind.value for m in usable],
                    "captured": [m.captured for m in usable],
                }
            ),
        )
        pairs = con.sql("SELECT DISTINCT state, agency FROM list_rows").fetchall()
        keys = {"state": [p[0] for p in pairs], "agency": [p[1] for p in pairs]}
        keys["agency_key"] = [agency_key(s, a) for s, a in pairs]
        keys["canonical_key"] = keys["agency_key"]
        _register(con, keys, {})
        agreements = [_agreement(r) for r in con.sql(_AGREEMENTS_SQL).fetchall()]
        _settle_agreements(agreements, complete[ListKind.PARTICIPATING])
        linked = (
            linkage.link([_listing(a) for a in agreements], decisions)
            if link_names
            else linkage.Linkage(canonical={})
        )
        if linked.canonical or linked.owners:
            keys["canonical_key"] = [linked.canonical.get(k, k) for k in keys["agency_key"]]
            _register(con, keys, linked.owners)
            agreements = [_agreement(r) for r in con.sql(_AGREEMENTS_SQL).fetchall()]
            _settle_agreements(agreements, complete[ListKind.PARTICIPATING])
        names = con.sql(
            "SELECT canonical_key, list(DISTINCT agency ORDER BY agency) FROM agency_keys GROUP BY 1"
        ).fetchall()
        listing_ids = con.sql("SELECT DISTINCT listing_id, agreement_id FROM sightings").fetchall()
        pending = [_pending(r) for r in con.sql(_PENDING_SQL).fetchall()]
        links = con.sql(
            "SELECT DISTINCT agreement_id, snapshot_id FROM sightings "
            "WHERE kind = 'participating' AND model IS NOT NULL ORDER BY agreement_id, snapshot_id"
        ).to_arrow_table()
    finally:
        con.close()
    _settle_pending(pending, complete[ListKind.PENDING], agreements)
    return History(
        agreements=agreements,
        pending=pending,
        links=links,
        partial=partial,
        duplicates=duplicates,
        latest_complete=latest_complete,
        name_links=linked.links,
        merged_keys=_merged_keys(linked, {a.agency_key for a in agreements}),
        agency_names=dict(names),
        listing_agreement=dict(listing_ids),
    )


def _merged_keys(linked: linkage.Linkage, held: set[str]) -> dict[str, str]:
    """Old spellings -> the agency they belong to; a name whose every listing moved to another body
    (and that holds nothing itself) points at the body now holding its agreement."""
    merged = {k: v for k, v in linked.canonical.items() if k != v}
    for listing_id, (owner, _) in sorted(linked.owners.items()):
        key = listing_id.rsplit(":", 2)[0]
        if key not in held and key not in merged:
            merged[key] = owner
    return merged


def _register(
    con: duckdb.DuckDBPyConnection,
    keys: dict[str, list[str]],
    owners: dict[str, tuple[str, dt.date | None]],
) -> None:
    """(Re)build the sightings under these agency keys and agreement owners."""
    owner_table = pa.table(
        {
            "listing_id": list(owners),
            "owner": [o for o, _ in owners.values()],
            "owner_signed": [d for _, d in owners.values()],
        },
        schema=_OWNERS,
    )
    for name, table in (("agency_keys", pa.table(keys)), ("owners", owner_table)):
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
        con.register(name, table)
    con.execute(_SIGHTINGS_SQL)


_OWNERS = pa.schema([("listing_id", pa.string()), ("owner", pa.string()), ("owner_signed", pa.date32())])


def _listing(a: AgreementHistory) -> linkage.Listing:
    return linkage.Listing(
        agreement_id=a.agreement_id,
        agency_key=a.agency_key,
        state=a.state,
        name=a.latest.agency,
        model=a.model,
        signed=a.signed,
        moa_url=a.moa_url,
        first_seen=a.first_seen,
        last_seen=a.last_seen,
        ended_on=a.ended_on,
        snapshot_count=a.snapshot_count,
    )


_MODEL_SHORT = "CASE model " + " ".join(f"WHEN '{m.value}' THEN '{m.short.lower()}'" for m in Model287g)

_LISTING_ID = (
    f"k.agency_key || ':' || ({_MODEL_SHORT} ELSE 'unknown' END) || ':' "
    "|| coalesce(strftime(r.signed, '%Y-%m-%d'), 'unsigned')"
)

_SIGHTINGS_SQL = f"""
CREATE OR REPLACE TEMP TABLE sightings AS
WITH named AS (
    SELECT r.* REPLACE (coalesce(r.signed, o.owner_signed) AS signed), m.kind, m.captured,
           k.agency_key AS name_key, {_LISTING_ID} AS listing_id,
           coalesce(o.owner, k.canonical_key) AS agency_key
    FROM list_rows r JOIN metas m USING (snapshot_id) JOIN agency_keys k USING (state, agency)
    LEFT JOIN owners o ON o.listing_id = {_LISTING_ID}
)
SELECT *, agency_key || ':' || ({_MODEL_SHORT} ELSE 'unknown' END) AS model_key,
       agency_key || ':' || ({_MODEL_SHORT} ELSE 'unknown' END) || ':'
           || coalesce(strftime(signed, '%Y-%m-%d'), 'unsigned') AS agreement_id
FROM named
"""

_GROUP_COLUMNS = f"""
       min(captured)::DATE AS first_seen, max(captured)::DATE AS last_seen,
       count(DISTINCT snapshot_id) AS snapshot_count,
       list(DISTINCT agency ORDER BY agency) AS names,
       arg_max({latest_row_sql()}, captured) AS latest
"""

_AGREEMENTS_SQL = f"""
SELECT agreement_id, agency_key, arg_max(state, captured), any_value(model), any_value(signed),
       {_GROUP_COLUMNS},
       arg_max(moa_url, captured) FILTER (WHERE moa_url IS NOT NULL) AS moa_url,
       arg_max(addendum_url, captured) FILTER (WHERE addendum_url IS NOT NULL) AS addendum_url
FROM sightings WHERE kind = 'participating' AND model IS NOT NULL
GROUP BY agreement_id, agency_key ORDER BY agreement_id
"""

_PENDING_SQL = f"""
SELECT model_key, agency_key, arg_max(state, captured), any_value(model), {_GROUP_COLUMNS}
FROM sightings WHERE kind = 'pending'
GROUP BY model_key, agency_key ORDER BY model_key
"""


def _list_row(latest: dict[str, Any]) -> ListRow:
    values = dict(latest)
    values["model"] = Model287g(values["model"]) if values["model"] else None
    return ListRow(**values)


def _agreement(r: tuple[Any, ...]) -> AgreementHistory:
    aid, key, state, model, signed, first, last, count, names, latest, moa_url, addendum_url = r
    return AgreementHistory(
        agreement_id=aid,
        agency_key=key,
        state=state,
        model=Model287g(model),
        signed=signed,
        agency_names=names,
        latest=_list_row(latest),
        moa_url=moa_url,
        addendum_url=addendum_url,
        first_seen=first,
        last_seen=last,
        snapshot_count=count,
    )


def _pending(r: tuple[Any, ...]) -> PendingHistory:
    pid, key, state, model, first, last, count, names, latest = r
    return PendingHistory(
        pending_id=pid,
        agency_key=key,
        state=state,
        model=Model287g(model) if model else None,
        agency_names=names,
        latest=_list_row(latest),
        first_seen=first,
        last_seen=last,
        snapshot_count=count,
    )


def _first_complete_after(series: Sequence[SnapshotMeta], day: dt.date) -> dt.date | None:
    return next((m.captured.date() for m in series if m.captured.date() > day), None)


def _settle_agreements(records: list[AgreementHistory], complete: Sequence[SnapshotMeta]) -> None:
    if not complete:
        return
    latest = complete[-1].captured.date()
    by_agency_model: dict[tuple[str, Model287g], list[AgreementHistory]] = defaultdict(list)
    for rec in records:
        by_agency_model[(rec.agency_key, rec.model)].append(rec)
    for rec in records:
        if rec.last_seen >= latest:
            continue
        rec.ended_on = _first_complete_after(complete, rec.last_seen)
        if rec.ended_on is None:  # seen after the last complete snapshot, only in partial ones
            continue
        newer = [
            other
            for other in by_agency_model[(rec.agency_key, rec.model)]
            if other is not rec and other.first_seen > rec.first_seen
        ]
        if newer:
            rec.status = AgreementStatus.SUPERSEDED
            rec.superseded_by = min(newer, key=lambda o: o.first_seen).agreement_id
        else:
            rec.status = AgreementStatus.ENDED


def _settle_pending(
    records: list[PendingHistory], complete: Sequence[SnapshotMeta], agreements: list[AgreementHistory]
) -> None:
    signed_by_key: dict[tuple[str, Model287g | None], list[AgreementHistory]] = defaultdict(list)
    for agr in agreements:
        signed_by_key[(agr.agency_key, agr.model)].append(agr)
    latest = complete[-1].captured.date() if complete else None
    for rec in records:
        same = signed_by_key.get((rec.agency_key, rec.model), [])
        later = [a for a in same if a.first_seen >= rec.first_seen]
        if later:
            first = min(later, key=lambda a: a.first_seen)
            rec.status = "signed"
            rec.signed_agreement_id, rec.signed_first_seen = first.agreement_id, first.first_seen
        elif any(a.first_seen < rec.first_seen <= a.last_seen for a in same):
            rec.status = "already signed"  # ICE listed as pending a model the agency already held
        elif latest is not None and rec.last_seen < latest:
            rec.status = "removed"
