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
from dataclasses import dataclass, field

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
    snapshot_ids: list[str] = field(default_factory=list)
    status: AgreementStatus = AgreementStatus.ACTIVE
    ended_on: dt.date | None = None
    superseded_by: str | None = None


@dataclass
class PendingHistory:
    pending_id: str
    agency_key: str
    state: str
    model: Model287g | None
    agency_names: list[str]
    latest: ListRow
    first_seen: dt.date
    last_seen: dt.date
    snapshot_ids: list[str] = field(default_factory=list)
    status: str = "pending"
    signed_agreement_id: str | None = None
    signed_first_seen: dt.date | None = None


@dataclass
class History:
    agreements: list[AgreementHistory]
    pending: list[PendingHistory]
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


@functools.lru_cache(maxsize=65536)
def agreement_id(key: str, model: Model287g, signed: dt.date | None) -> str:
    return f"{key}:{model.short.lower()}:{signed.isoformat() if signed else 'unsigned'}"


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


def build_history(metas: Sequence[SnapshotMeta], rows: dict[str, Sequence[ListRow]]) -> History:
    """Fold every snapshot's rows (keyed by snapshot id) into agreement and pending histories."""
    partial = find_partial(metas)
    duplicates = find_duplicates(metas)
    ordered = sorted((m for m in metas if m.snapshot_id not in duplicates), key=lambda m: m.captured)
    complete = {
        kind: [m for m in ordered if m.kind is kind and m.snapshot_id not in partial] for kind in ListKind
    }
    latest_complete = {kind: series[-1].captured.date() for kind, series in complete.items() if series}

    agreements: dict[str, AgreementHistory] = {}
    pending: dict[str, PendingHistory] = {}
    for meta in ordered:
        day = meta.captured.date()
        for row in rows.get(meta.snapshot_id, ()):
            key = agency_key(row.state, row.agency)
            if meta.kind is ListKind.PARTICIPATING and row.model is not None:
                aid = agreement_id(key, row.model, row.signed)
                rec = agreements.get(aid)
                if rec is None:
                    rec = agreements[aid] = AgreementHistory(
                        aid, key, row.state, row.model, row.signed, [], row, None, None, day, day
                    )
                _sight(rec, meta.snapshot_id, day, row)
                rec.moa_url = row.moa_url or rec.moa_url
                rec.addendum_url = row.addendum_url or rec.addendum_url
            elif meta.kind is ListKind.PENDING:
                pid = f"{key}:{row.model.short.lower() if row.model else 'unknown'}"
                prec = pending.get(pid)
                if prec is None:
                    prec = pending[pid] = PendingHistory(pid, key, row.state, row.model, [], row, day, day)
                _sight(prec, meta.snapshot_id, day, row)

    _settle_agreements(list(agreements.values()), complete[ListKind.PARTICIPATING])
    _settle_pending(list(pending.values()), complete[ListKind.PENDING], list(agreements.values()))
    return History(
        agreements=sorted(agreements.values(), key=lambda a: (a.state, a.agency_key, a.model, str(a.signed))),
        pending=sorted(pending.values(), key=lambda p: (p.state, p.agency_key)),
        partial=partial,
        duplicates=duplicates,
        latest_complete=latest_complete,
    )


def _sight(rec: AgreementHistory | PendingHistory, snapshot_id: str, day: dt.date, row: ListRow) -> None:
    if not rec.snapshot_ids or rec.snapshot_ids[-1] != snapshot_id:
        rec.snapshot_ids.append(snapshot_id)
    rec.last_seen = max(rec.last_seen, day)
    rec.latest = row
    if row.agency not in rec.agency_names:
        rec.agency_names.append(row.agency)


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
        later = [
            a for a in signed_by_key.get((rec.agency_key, rec.model), []) if a.first_seen >= rec.first_seen
        ]
        if later:
            first = min(later, key=lambda a: a.first_seen)
            rec.status = "signed"
            rec.signed_agreement_id, rec.signed_first_seen = first.agreement_id, first.first_seen
        elif latest is not None and rec.last_seen < latest:
            rec.status = "removed"
