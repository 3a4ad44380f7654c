"""From many list snapshots to one row per agreement: first and last seen, status, snapshots.

Pure functions over parsed rows. Two rules carry the weight:
- an agreement is (agency, model, signed date); the agency is recognised across spelling variants;
- a partial snapshot (a day's file with a fraction of the usual rows) can add sightings but can
  never end an agreement.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from sharemap.kb.model import AgreementStatus, ListKind, Model287g
from sharemap.ledger.lists import ListRow

PARTIAL_SHARE = 0.8
"""A snapshot is partial when it has fewer rows than this share of its neighbours' median."""
NEIGHBOURS = 5


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


_ABBREVIATIONS = [
    (r"\bsheriff'?s'?\b", "sheriff"),
    (r"\bdept\b\.?", "department"),
    (r"\bco\b\.?", "county"),
    (r"\bpd\b", "police department"),
    (r"\bso\b", "sheriff office"),
    (r"\bst\b\.?", "saint"),
    (r"\bft\b\.?", "fort"),
    (r"\bmt\b\.?", "mount"),
    (r"&", " and "),
    (r"\bthe\b", " "),
]


@functools.lru_cache(maxsize=65536)
def agency_key(state: str, name: str) -> str:
    """A spelling-insensitive key: case, accents, apostrophes, "Sheriffs"/"Sheriff's", abbreviations."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("`", "'").replace("\u2019", "'")
    for pattern, repl in _ABBREVIATIONS:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return f"{state.lower()}-{text.replace(' ', '-')}"


def find_partial(metas: Sequence[SnapshotMeta]) -> set[str]:
    """Snapshots with far fewer rows than the snapshots both before and after them."""
    partial: set[str] = set()
    by_kind: dict[ListKind, list[SnapshotMeta]] = defaultdict(list)
    for meta in metas:
        by_kind[meta.kind].append(meta)
    for series in by_kind.values():
        series.sort(key=lambda m: m.captured)
        for i, meta in enumerate(series):
            before = [m.rows for m in series[max(0, i - NEIGHBOURS) : i]]
            after = [m.rows for m in series[i + 1 : i + 1 + NEIGHBOURS]]
            if not before or not after:
                continue
            limit = PARTIAL_SHARE * min(statistics.median(before), statistics.median(after))
            if meta.rows < limit:
                partial.add(meta.snapshot_id)
    return partial


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


def build_history(metas: Sequence[SnapshotMeta], rows: pa.Table) -> History:
    """Fold every snapshot's rows (a table with ROW_SCHEMA) into agreement and pending histories.

    The per-row work is one DuckDB aggregation; Python only settles the status of each agreement.
    """
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
        con.register("agency_keys", pa.table(keys))
        con.execute(_SIGHTINGS_SQL)
        agreements = [_agreement(r) for r in con.sql(_AGREEMENTS_SQL).fetchall()]
        pending = [_pending(r) for r in con.sql(_PENDING_SQL).fetchall()]
        links = con.sql(
            "SELECT DISTINCT agreement_id, snapshot_id FROM sightings "
            "WHERE kind = 'participating' AND model IS NOT NULL ORDER BY agreement_id, snapshot_id"
        ).to_arrow_table()
    finally:
        con.close()
    _settle_agreements(agreements, complete[ListKind.PARTICIPATING])
    _settle_pending(pending, complete[ListKind.PENDING], agreements)
    return History(
        agreements=agreements,
        pending=pending,
        links=links,
        partial=partial,
        duplicates=duplicates,
        latest_complete=latest_complete,
    )


_MODEL_SHORT = "CASE model " + " ".join(f"WHEN '{m.value}' THEN '{m.short.lower()}'" for m in Model287g)

_SIGHTINGS_SQL = f"""
CREATE TEMP TABLE sightings AS
SELECT r.*, m.kind, m.captured, k.agency_key,
       k.agency_key || ':' || ({_MODEL_SHORT} ELSE 'unknown' END) AS model_key,
       k.agency_key || ':' || ({_MODEL_SHORT} ELSE 'unknown' END) || ':'
           || coalesce(strftime(r.signed, '%Y-%m-%d'), 'unsigned') AS agreement_id
FROM list_rows r JOIN metas m USING (snapshot_id) JOIN agency_keys k USING (state, agency)
"""

_GROUP_COLUMNS = """
       min(captured)::DATE AS first_seen, max(captured)::DATE AS last_seen,
       count(DISTINCT snapshot_id) AS snapshot_count,
       list(DISTINCT agency ORDER BY agency) AS names,
       arg_max({'row': "row", 'state': state, 'state_raw': state_raw, 'agency': agency,
                'ice_type': ice_type, 'county': county, 'model': model, 'signed': signed,
                'moa_url': moa_url, 'moa_text': moa_text, 'addendum_url': addendum_url}, captured) AS latest
"""

_AGREEMENTS_SQL = f"""
SELECT agreement_id, agency_key, any_value(state), any_value(model), any_value(signed), {_GROUP_COLUMNS},
       arg_max(moa_url, captured) FILTER (WHERE moa_url IS NOT NULL) AS moa_url,
       arg_max(addendum_url, captured) FILTER (WHERE addendum_url IS NOT NULL) AS addendum_url
FROM sightings WHERE kind = 'participating' AND model IS NOT NULL
GROUP BY agreement_id, agency_key ORDER BY agreement_id
"""

_PENDING_SQL = f"""
SELECT model_key, agency_key, any_value(state), any_value(model), {_GROUP_COLUMNS}
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
