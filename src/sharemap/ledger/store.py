"""The ledger database: built from parsed snapshots into DuckDB, atomically, and exported.

A build writes a new database file beside the target and renames it into place only when every
table is written, so a failed build leaves the previous database untouched. Every write holds the
ledger's write lock (`write_lock`, a file beside the database), so two updates never both read the
same database and one overwrite the other's work; a writer holding the lock also removes the
temporary files a killed build left behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sharemap import settings
from sharemap.errors import InputError, StoreError
from sharemap.kb.model import ListKind
from sharemap.ledger import freshness, geo
from sharemap.ledger.history import (
    AgreementHistory,
    History,
    PendingHistory,
    SnapshotMeta,
    build_history,
)
from sharemap.ledger.snapshots import PROBLEM_SCHEMA, ROW_SCHEMA, SNAPSHOT_SCHEMA
from sharemap.safety import limit, spreadsheet_safe

SHIPPED_DIR = settings.DATA_DIR / "ledger"
SHIPPED_FILES = {
    "snapshots": "snapshots.parquet",
    "snapshot_rows": "snapshot_rows.parquet",
    "snapshot_problems": "snapshot_problems.parquet",
}


ICE_LIST_SOURCE = {
    "source_id": "ice-287g-lists",
    "title": "ICE, Delegation of Immigration Authority Section 287(g): participating and pending agencies",
    "url": "https://www.ice.gov/identify-and-arrest/287g",
    "date": None,
    "publisher": "U.S. Immigration and Customs Enforcement",
    "note": "Snapshots 2021-01-13 to 2026-05-18 collected by GitHub RelevantResearch/287g-DetentionData "
    "(commit 4f9d1c35b402db277e61c03bc85f8230713c4f3b); see data/ledger/PROVENANCE.md",
}


@dataclass
class BaseData:
    """The parsed snapshots a build starts from, and MOA terms read from PDFs fetched since shipping."""

    snapshots: pa.Table
    rows: pa.Table
    problems: pa.Table
    fetched_moa: list[dict[str, Any]] = field(default_factory=list)
    """MoaTerms as JSON-ready dicts (one per PDF fetched by `update --from ice`)."""


@dataclass
class BuildReport:
    db: Path
    snapshots: int
    rows: int
    agreements: int
    active: int
    agencies: int
    unmapped: int
    pending: int
    partial: list[str]
    duplicates: int
    problems: int
    moa_terms: int
    skipped: list[dict[str, str]] = field(default_factory=list)


def load_shipped() -> BaseData:
    """The parsed snapshots shipped in the package."""
    try:
        tables = {name: pq.read_table(SHIPPED_DIR / fname) for name, fname in SHIPPED_FILES.items()}
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"shipped ledger data missing or unreadable: {exc}", file=SHIPPED_DIR) from exc
    return BaseData(
        tables["snapshots"].cast(SNAPSHOT_SCHEMA),
        tables["snapshot_rows"].cast(ROW_SCHEMA),
        tables["snapshot_problems"].cast(PROBLEM_SCHEMA),
    )


def write_shipped(base: BaseData, folder: Path = SHIPPED_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("snapshots", base.snapshots), ("snapshot_rows", base.rows)):
        _atomic_parquet(table, folder / SHIPPED_FILES[name])
    _atomic_parquet(base.problems, folder / SHIPPED_FILES["snapshot_problems"])


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def history_of(base: BaseData) -> History:
    metas = [
        SnapshotMeta(r["snapshot_id"], ListKind(r["kind"]), r["captured"], r["rows"], r["sha256"])
        for r in base.snapshots.select(["snapshot_id", "kind", "captured", "rows", "sha256"]).to_pylist()
    ]
    return build_history(metas, base.rows)


Placements = dict[tuple[str, str, str | None, str | None], dict[str, Any]]
"""Agency placements by (name, state, ICE type, ICE county): reused so an update skips the geocoder."""

_PLACEMENT_COLUMNS = (
    "kind",
    "county_fips",
    "county_name",
    "statewide",
    "geo_method",
    "unmapped_reason",
    "geo_note",
    "spans_counties",
)


def _place(row: Any, known: Placements) -> dict[str, Any]:
    key = (row.agency, row.state, row.ice_type, row.county)
    if key not in known:
        place = geo.locate(row.agency, row.state, row.ice_type, row.county)
        known[key] = {
            "kind": place.kind.value,
            "county_fips": place.county_fips,
            "county_name": place.county_name,
            "statewide": place.statewide,
            "geo_method": place.method,
            "unmapped_reason": None if place.mapped else place.reason,
            "geo_note": place.note,
            "spans_counties": list(place.spans_counties),
        }
    return known[key]


def read_placements(db: Path | None = None) -> Placements:
    """The placements stored in an existing database."""
    with connect(db) as con:
        cols = ", ".join(_PLACEMENT_COLUMNS)
        cur = con.execute(f"SELECT name, state, ice_type, ice_county, {cols} FROM agencies")
        return {
            (r[0], r[1], r[2], r[3]): dict(zip(_PLACEMENT_COLUMNS, r[4:], strict=True))
            for r in cur.fetchall()
        }


def _agencies(history: History, known: Placements) -> list[dict[str, Any]]:
    """One row per agency, placed on the map from its latest signed row (else its latest pending row)."""
    records: dict[str, list[AgreementHistory | PendingHistory]] = defaultdict(list)
    every: list[AgreementHistory | PendingHistory] = [*history.agreements, *history.pending]
    for rec in every:
        records[rec.agency_key].append(rec)
    rows = []
    for key, recs in sorted(records.items()):
        signed = [r for r in recs if isinstance(r, AgreementHistory)]
        row = max(signed or recs, key=lambda r: r.last_seen).latest
        variants = history.agency_names.get(key) or list(
            dict.fromkeys(n for r in recs for n in r.agency_names)
        )
        rows.append(
            {
                "agency_id": key,
                "name": row.agency,
                "state": row.state,
                "ice_type": row.ice_type,
                "ice_county": row.county,
                **_place(row, known),
                "name_variants": variants,
            }
        )
    return rows


def _agreement_rows(history: History, agencies: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for a in history.agreements:
        ag = agencies[a.agency_key]
        out.append(
            {
                "agreement_id": a.agreement_id,
                "agency_id": a.agency_key,
                "agency_name": ag["name"],
                "state": a.state,
                "county_fips": ag["county_fips"],
                "program": "287(g)",
                "model": a.model.value,
                "model_short": a.model.short,
                "signed": a.signed,
                "moa_url": a.moa_url,
                "addendum_url": a.addendum_url,
                "status": a.status.value,
                "first_seen": a.first_seen,
                "last_seen": a.last_seen,
                "ended_on": a.ended_on,
                "superseded_by": a.superseded_by,
                "snapshot_count": a.snapshot_count,
                "listed_as": a.agency_names,
            }
        )
    return out


def _link_rows(history: History) -> list[dict[str, Any]]:
    """Every pair of names considered as one agreement, with the decision and its evidence."""
    final = history.listing_agreement
    agency_of = {a.agreement_id: a.agency_key for a in history.agreements}
    return [
        {
            "state": x.newer.state,
            "model": x.older.model.short,
            "older_name": x.older.name,
            "older_state": x.older.state,
            "older_listing_id": x.older.agreement_id,
            "older_agency_key": x.older.agency_key,
            "older_signed": x.older.signed,
            "older_first_seen": x.older.first_seen,
            "older_last_seen": x.older.last_seen,
            "newer_name": x.newer.name,
            "newer_listing_id": x.newer.agreement_id,
            "newer_agency_key": x.newer.agency_key,
            "newer_signed": x.newer.signed,
            "newer_first_seen": x.newer.first_seen,
            "agreement_id": final.get(x.older.agreement_id),
            "newer_agreement_id": final.get(x.newer.agreement_id),
            "agency_id": agency_of.get(final.get(x.newer.agreement_id, "")),
            "same_agreement": x.same,
            "same_agency": x.same and x.same_agency,
            "score": x.score,
            "decided_by": x.decided_by,
            "reason": x.reason,
            "evidence": list(x.evidence),
        }
        for x in sorted(history.name_links, key=lambda x: (x.newer.first_seen, x.newer.name, x.older.name))
    ]


_LINK_SCHEMA = pa.schema(
    [
        ("state", pa.string()), ("model", pa.string()), ("older_name", pa.string()),
        ("older_state", pa.string()), ("older_listing_id", pa.string()), ("older_agency_key", pa.string()),
        ("older_signed", pa.date32()), ("older_first_seen", pa.date32()), ("older_last_seen", pa.date32()),
        ("newer_name", pa.string()), ("newer_listing_id", pa.string()), ("newer_agency_key", pa.string()),
        ("newer_signed", pa.date32()), ("newer_first_seen", pa.date32()), ("agreement_id", pa.string()),
        ("newer_agreement_id", pa.string()), ("agency_id", pa.string()), ("same_agreement", pa.bool_()),
        ("same_agency", pa.bool_()), ("score", pa.int32()), ("decided_by", pa.string()),
        ("reason", pa.string()), ("evidence", pa.list_(pa.string())),
    ]
)  # fmt: skip


def _pending_rows(history: History, agencies: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "pending_id": p.pending_id,
            "agency_id": p.agency_key,
            "agency_name": agencies[p.agency_key]["name"],
            "state": p.state,
            "county_fips": agencies[p.agency_key]["county_fips"],
            "model": p.model.value if p.model else None,
            "model_short": p.model.short if p.model else None,
            "status": p.status,
            "first_seen": p.first_seen,
            "last_seen": p.last_seen,
            "snapshot_count": p.snapshot_count,
            "signed_agreement_id": p.signed_agreement_id,
            "signed_first_seen": p.signed_first_seen,
        }
        for p in history.pending
    ]


def _moa_rows(fetched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MOA terms shipped with the package and read from PDFs fetched since, one row per term."""
    from sharemap.ledger import moa

    docs = {d.file_name: d for d in moa.load_shipped_moa_terms()}
    docs.update({d.file_name: d for d in (moa.MoaTerms.model_validate(x) for x in fetched)})
    return moa.terms_to_rows(docs.values())


_FETCHED_MOA = pa.schema([("file_name", pa.string()), ("terms_json", pa.string())])


def _fetched_moa_table(fetched: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {"file_name": [d["file_name"] for d in fetched], "terms_json": [json.dumps(d) for d in fetched]},
        schema=_FETCHED_MOA,
    )


def _counties() -> list[dict[str, Any]]:
    return [c.model_dump() for c in geo.counties()]


def build_database(
    base: BaseData, db: Path | None = None, origin: str = "shipped", placements: Placements | None = None
) -> BuildReport:
    """Compute the history and write every table to a new DuckDB file, then swap it into place.

    `placements` from a previous build (see read_placements) spare the geocoder for known agencies.
    """
    db = db or settings.db_path()
    history = history_of(base)
    agencies = _agencies(history, dict(placements or {}))
    by_key = {a["agency_id"]: a for a in agencies}
    partial, duplicates = history.partial, history.duplicates
    snapshots = base.snapshots.append_column(
        "partial", pa.array([sid in partial for sid in base.snapshots["snapshot_id"].to_pylist()])
    ).append_column(
        "duplicate_of", pa.array([duplicates.get(sid) for sid in base.snapshots["snapshot_id"].to_pylist()])
    )
    agreements = _agreement_rows(history, by_key)
    moa_rows = _moa_rows(base.fetched_moa)
    tables: dict[str, pa.Table] = {
        "snapshots": snapshots,
        "snapshot_rows": base.rows,
        "snapshot_problems": base.problems,
        "agencies": pa.Table.from_pylist(agencies),
        "agreements": pa.Table.from_pylist(agreements),
        "agreement_snapshots": history.links,
        "agency_links": pa.Table.from_pylist(_link_rows(history), schema=_LINK_SCHEMA),
        "agency_aliases": pa.table(
            {"alias_key": list(history.merged_keys), "agency_id": list(history.merged_keys.values())},
            schema=pa.schema([("alias_key", pa.string()), ("agency_id", pa.string())]),
        ),
        "pending": pa.Table.from_pylist(_pending_rows(history, by_key)),
        "counties": pa.Table.from_pylist(_counties()),
        "sources": pa.Table.from_pylist([ICE_LIST_SOURCE, freshness.PUBLISHED_SOURCE]),
        "published_counts": freshness.read_published(),
        "moa_fetched": _fetched_moa_table(base.fetched_moa),
        "build_info": pa.Table.from_pylist(
            [
                {"key": "built_at", "value": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
                {"key": "origin", "value": origin},
                *[
                    {"key": f"latest_complete_{k.value}", "value": v.isoformat()}
                    for k, v in history.latest_complete.items()
                ],
            ]
        ),
    }
    if moa_rows:
        tables["moa_terms"] = pa.Table.from_pylist(moa_rows)
    _write_atomically(db, tables)
    return BuildReport(
        db=db,
        snapshots=base.snapshots.num_rows,
        rows=base.rows.num_rows,
        agreements=len(agreements),
        active=sum(a["status"] == "active" for a in agreements),
        agencies=len(agencies),
        unmapped=sum(1 for a in agencies if a["unmapped_reason"]),
        pending=len(history.pending),
        partial=sorted(partial),
        duplicates=len(duplicates),
        problems=base.problems.num_rows,
        moa_terms=len(moa_rows),
    )


_held = threading.local()
"""Per thread: lock file -> (open file descriptor, depth), so a writer can nest write_lock calls."""


def lock_path(db: Path | None = None) -> Path:
    db = db or settings.db_path()
    return db.with_name(f"{db.name}.lock")


@contextmanager
def write_lock(db: Path | None = None, wait: float | None = None) -> Iterator[Path]:
    """Hold the ledger's write lock: an exclusive flock on `<db>.lock`, which holds the owner's pid.

    Waits up to `wait` seconds (default: the db_lock_wait_s limit) for another writer to finish,
    then fails with a StoreError naming the lock file and its holder. Re-entrant in one thread.
    The kernel drops the lock when its holder dies, however it dies, so a lock is never stale.
    """
    lock = lock_path(db)
    held: dict[Path, tuple[int, int]] = _held.__dict__.setdefault("locks", {})
    if lock in held:
        fd, depth = held[lock]
        held[lock] = (fd, depth + 1)
        try:
            yield lock
        finally:
            held[lock] = (fd, held[lock][1] - 1)
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + (limit("db_lock_wait_s") if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StoreError(f"cannot lock the database: {exc.strerror}", file=lock) from None
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another update is running (lock {lock} held by pid {_lock_owner(lock)}); "
                    "try again when it has finished",
                    file=db or settings.db_path(),
                )
            time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        held[lock] = (fd, 1)
        try:
            yield lock
        finally:
            del held[lock]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_owner(lock: Path) -> str:
    try:
        return lock.read_text(encoding="ascii", errors="replace").strip() or "unknown"
    except OSError:
        return "unknown"


def _remove_stale_builds(db: Path) -> list[Path]:
    """Remove what killed builds left beside `db` (called with the write lock held, so no live build
    owns them): unfinished `.building` files and their `.wal` logs, and a `.wal` of the database itself
    (the database is only ever replaced whole, so a log of an older file must not be replayed into it)."""
    removed = []
    for pattern in (f".{db.name}.*.building", f".{db.name}.*.building.wal", f"{db.name}.wal"):
        for path in db.parent.glob(pattern):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _write_atomically(db: Path, tables: dict[str, pa.Table]) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(db):
        _remove_stale_builds(db)
        _write_locked(db, tables)


def _write_locked(db: Path, tables: dict[str, pa.Table]) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db.name}.", suffix=".building", dir=db.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, table in tables.items():
                con.register("incoming", table)
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
                con.unregister("incoming")
            _add_views(con)
        finally:
            con.close()
        tmp.replace(db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise


def _add_views(con: duckdb.DuckDBPyConnection) -> None:
    """Convenience views: the complete participating snapshots, and each agreement with its agency."""
    con.execute(
        """
        CREATE VIEW complete_snapshots AS
        SELECT * FROM snapshots
        WHERE kind = 'participating' AND NOT partial AND duplicate_of IS NULL
        """
    )
    con.execute(
        """
        CREATE VIEW agreements_full AS
        SELECT a.*, g.kind AS agency_kind, g.county_name, g.statewide, g.unmapped_reason
        FROM agreements a JOIN agencies g USING (agency_id)
        """
    )


@contextmanager
def connect(path: Path | None = None, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the ledger database; a clear StoreError when it has not been built yet."""
    db = path or settings.db_path()
    if not db.exists():
        raise StoreError("no ledger database yet", file=db, expected="run `sharemap build` first")
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database: {exc}", file=db) from exc
    try:
        yield con
    finally:
        con.close()


def read_base(path: Path | None = None) -> BaseData:
    """The base tables of an existing database (for adding snapshots to it)."""
    with connect(path) as con:
        cols = ", ".join(SNAPSHOT_SCHEMA.names)
        snaps = con.sql(f"SELECT {cols} FROM snapshots").to_arrow_table()
        rows = con.sql("SELECT * FROM snapshot_rows").to_arrow_table()
        problems = con.sql("SELECT * FROM snapshot_problems").to_arrow_table()
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'moa_fetched'")
        fetched = (
            [json.loads(r[0]) for r in con.execute("SELECT terms_json FROM moa_fetched").fetchall()]
            if (has.fetchone() or (0,))[0]
            else []
        )
    return BaseData(
        snaps.cast(SNAPSHOT_SCHEMA), rows.cast(ROW_SCHEMA), problems.cast(PROBLEM_SCHEMA), fetched
    )


EXPORT_FORMATS = ("parquet", "csv")


def export(db: Path | None, out: Path, formats: tuple[str, ...] = EXPORT_FORMATS) -> list[Path]:
    """Write every table to Parquet and CSV under `out`; returns the files written."""
    bad = set(formats) - set(EXPORT_FORMATS)
    if bad:
        raise InputError(f"unknown export format {sorted(bad)}", field="format", expected="parquet or csv")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with connect(db) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for name in names:
            for fmt in formats:
                write_table(con, name, out / f"{name}.{fmt}", fmt)
                written.append(out / f"{name}.{fmt}")
    return written


def write_table(con: duckdb.DuckDBPyConnection, table: str, target: Path, fmt: str) -> None:
    """One table as Parquet, or as CSV whose text cells are spreadsheet-safe (`sharemap export` and the
    web app's downloads both write through here), replacing `target` only when complete."""
    if fmt == "parquet":
        select, opts = f'SELECT * FROM "{table}"', "(FORMAT parquet, COMPRESSION zstd)"
    elif fmt == "csv":
        _register_spreadsheet_safe(con)
        select, opts = _csv_select(con, table), "(FORMAT csv, HEADER)"
    else:
        raise InputError(f"unknown export format {fmt!r}", field="format", expected="parquet or csv")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        con.execute(f"COPY ({select}) TO '{tmp}' {opts}").fetchall()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _register_spreadsheet_safe(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'spreadsheet_safe'"
    if not con.execute(sql).fetchall()[0][0]:
        con.create_function(
            "spreadsheet_safe", _safe_text, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR")
        )


def _safe_text(value: str) -> str:
    return str(spreadsheet_safe(value))


def _csv_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SELECT every column of `table` for CSV, each text column's cells through spreadsheet_safe
    (agency names, URLs and notes come from ICE's files and must not run as formulas)."""
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    parts = []
    for column, kind in columns:
        quoted = '"' + column.replace('"', '""') + '"'
        parts.append(f"spreadsheet_safe({quoted}) AS {quoted}" if kind == "VARCHAR" else quoted)
    return f'SELECT {", ".join(parts)} FROM "{table}"'
