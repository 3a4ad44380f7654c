"""The shipped plate-reader sharing data: written by scripts/build_sharing_data.py, read back as the
same records the readers give (so shipped data and a user's new snapshots take one path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sharemap import settings
from sharemap.settings import DATA_DIR
from sharemap.sharing.index import KnownOrgs, SnapshotSummary, organisations, summaries_from, summarise
from sharemap.sharing.orgs import Org, Placed, Reach, Resolver
from sharemap.sharing.portals import AuditOrg, Snapshot, read_snapshots

SHIPPED = DATA_DIR / "sharing"
LIST_ROW_GROUP = 8192  # rows per Parquet row group: a portal's lists are read by the groups they are in


def _rel(path: str, base: Path | None) -> str:
    if base is None:
        return path
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path


def _lists_table(snaps: list[Snapshot]) -> pa.Table:
    """Every name on every snapshot's lists: slug, date, direction, org."""
    return pa.table(
        {
            "slug": [s.slug for s in snaps for _ in (*s.outbound, *s.inbound)],
            "date": pa.array([s.date for s in snaps for _ in (*s.outbound, *s.inbound)], pa.date32()),
            "direction": [
                d for s in snaps for d in ["outbound"] * len(s.outbound) + ["inbound"] * len(s.inbound)
            ],
            "org": [o for s in snaps for o in (*s.outbound, *s.inbound)],
        }
    )


def write_shipped(
    snapshots: Iterable[Snapshot],
    registry: dict[str, Placed],
    audit: Iterable[AuditOrg],
    *,
    relative_to: Path | None = None,
    target: Path = SHIPPED,
) -> None:
    """Write the tables (snapshots, lists, registry, network_audits, and the index: summaries and
    organisations) atomically per file. Lists are sorted by portal and written in small row groups,
    so one portal's lists are read without the rest."""
    snaps = sorted(snapshots, key=lambda s: (s.slug, s.date))
    resolve = Resolver(registry)
    tables = {
        "snapshots": pa.table(
            {
                "slug": [s.slug for s in snaps],
                "agency": [s.agency for s in snaps],
                "state": [s.state for s in snaps],
                "date": [s.date for s in snaps],
                "retention_days": pa.array([s.retention_days for s in snaps], pa.int32()),
                "camera_count": pa.array([s.camera_count for s in snaps], pa.int32()),
                "prohibited_uses": [s.prohibited_uses for s in snaps],
                "source": [_rel(s.source, relative_to) for s in snaps],
            }
        ),
        "lists": _lists_table(snaps),
        "registry": pa.table(
            {
                "key": list(registry),
                "state": [p.state for p in registry.values()],
                "county_fips": [p.county_fips for p in registry.values()],
                "place_fips": [p.place_fips for p in registry.values()],
            }
        ),
        "network_audits": pa.table(
            {
                "network": [a.network for a in audit],
                "network_state": [a.network_state for a in audit],
                "org": [a.org for a in audit],
                "searches": [a.searches for a in audit],
                "first": [a.first for a in audit],
                "last": [a.last for a in audit],
                "source": [_rel(a.source, relative_to) for a in audit],
            }
        ),
        "summaries": summarise(snaps, resolve, registry),
        "organisations": organisations(resolve, (o for s in snaps for o in (*s.outbound, *s.inbound))),
    }
    sources = [_rel(x, relative_to) for x in tables["summaries"]["source"].to_pylist()]
    tables["summaries"] = tables["summaries"].set_column(12, "source", pa.array(sources, pa.string()))
    target.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        tmp = target / f".{name}.parquet.tmp"
        pq.write_table(table, tmp, compression="zstd", row_group_size=LIST_ROW_GROUP)
        tmp.replace(target / f"{name}.parquet")


@lru_cache(maxsize=1)
def shipped_registry() -> dict[str, Placed]:
    t = _read("registry")
    cols = [t[c].to_pylist() for c in ("key", "state", "county_fips", "place_fips")]
    return {key: Placed(state, county, place) for key, state, county, place in zip(*cols, strict=True)}


@lru_cache(maxsize=1)
def shipped_states() -> frozenset[str]:
    """The states with shipped portal data (read from the small index alone, so a question about any
    other state never loads the sharing lists)."""
    return frozenset(x.state for x in shipped_summaries() if x.state)


def _days(column: pa.ChunkedArray) -> list[int]:
    """A date column as day numbers (ints convert far faster than dates, and group as well; a view,
    not a cast, so pyarrow's compute module need not be loaded)."""
    return [day for chunk in column.chunks for day in chunk.view(pa.int32()).to_pylist()]


def snapshots_of(snapshots: pa.Table, lists: pa.Table, slugs: set[str] | None = None) -> tuple[Snapshot, ...]:
    """Snapshot records from a snapshots table and its lists table (slug, date, direction, org),
    the shipped parquet and the database alike (only the portals `slugs`, when given); oldest first
    per agency."""
    lists_of: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    for slug, day, direction, org in zip(
        lists["slug"].to_pylist(),
        _days(lists["date"]),
        lists["direction"].to_pylist(),
        lists["org"].to_pylist(),
        strict=True,
    ):
        if slugs is not None and slug not in slugs:
            continue
        got = lists_of.get((slug, day))
        if got is None:
            got = lists_of[(slug, day)] = ([], [])
        got[direction != "outbound"].append(org)
    out = []
    epoch = dt.date(1970, 1, 1)
    cols = {c: snapshots[c].to_pylist() for c in ("slug", "agency", "state", "retention_days")}
    cols |= {c: snapshots[c].to_pylist() for c in ("camera_count", "prohibited_uses", "source")}
    for i, day in enumerate(_days(snapshots["date"])):
        if slugs is not None and cols["slug"][i] not in slugs:
            continue
        outbound, inbound = lists_of.get((cols["slug"][i], day), ([], []))
        out.append(
            Snapshot(
                slug=cols["slug"][i],
                agency=cols["agency"][i],
                state=cols["state"][i],
                date=epoch + dt.timedelta(days=day),
                outbound=tuple(outbound),
                inbound=tuple(inbound),
                retention_days=cols["retention_days"][i],
                prohibited_uses=cols["prohibited_uses"][i],
                camera_count=cols["camera_count"][i],
                source=cols["source"][i],
            )
        )
    return tuple(sorted(out, key=lambda s: (s.slug, s.date)))


def _read(name: str) -> pa.Table:
    """A shipped table, read without the dataset layer (whose import alone costs more than the
    small tables of the index)."""
    with (SHIPPED / f"{name}.parquet").open("rb") as fh:
        return pq.ParquetFile(fh).read()


@lru_cache(maxsize=1)
def shipped_summaries() -> tuple[SnapshotSummary, ...]:
    """The shipped index: one summary per snapshot (`sharemap.sharing.index`)."""
    return summaries_from(_read("summaries"))


@lru_cache(maxsize=1)
def shipped_organisations() -> KnownOrgs:
    """Every name on the shipped lists, as resolved when the data was written."""
    return KnownOrgs(_read("organisations"))


@lru_cache(maxsize=1)
def _shipped_snapshot_table() -> pa.Table:
    return _read("snapshots")


def _lists_of_slugs(slugs: set[str]) -> pa.Table:
    """The shipped lists' row groups whose slug range holds one of these portals (the lists are
    sorted by slug), not the others."""
    with (SHIPPED / "lists.parquet").open("rb") as fh:
        f = pq.ParquetFile(fh)
        column = f.schema_arrow.get_field_index("slug")
        groups = []
        for i in range(f.num_row_groups):
            stats = f.metadata.row_group(i).column(column).statistics
            if stats is None or not stats.has_min_max or any(stats.min <= s <= stats.max for s in slugs):
                groups.append(i)
        return f.read_row_groups(groups)


@lru_cache(maxsize=1)
def _list_rows() -> dict[tuple[str, dt.date], tuple[int, int]]:
    """Where each shipped snapshot's names are in the lists file: (first row, rows). The file is
    sorted by portal and date, outbound names before inbound, so the index's counts give it."""
    rows, at = {}, 0
    for x in sorted(shipped_summaries(), key=lambda x: (x.slug, x.date)):
        rows[(x.slug, x.date)] = (at, x.outbound + x.inbound)
        at += x.outbound + x.inbound
    return rows


def _sliced_lists(keys: frozenset[tuple[str, dt.date]]) -> pa.Table | None:
    """The names of these snapshots alone, read from the row groups that hold them; None when the
    file is not laid out as the index says (checked on every slice), so the caller reads by slug."""
    where = _list_rows()
    if not keys <= where.keys():
        return None
    with (SHIPPED / "lists.parquet").open("rb") as fh:
        f = pq.ParquetFile(fh)
        size = f.metadata.row_group(0).num_rows if f.num_row_groups else 0
        spans = sorted(where[k] for k in keys)
        groups = sorted({g for at, n in spans if n for g in range(at // size, (at + n - 1) // size + 1)})
        table = f.read_row_groups(groups)
    base = {g: i * size for i, g in enumerate(groups)}  # every group but the last holds `size` rows
    parts = []
    for key in sorted(keys):
        at, n = where[key]
        if not n:
            continue
        part = table.slice(base[at // size] + at % size, n)
        ends = {(part["slug"][i].as_py(), part["date"][i].as_py()) for i in (0, n - 1)}
        if part.num_rows != n or ends != {key}:
            return None
        parts.append(part)
    return pa.concat_tables(parts) if parts else table.slice(0, 0)


def _shipped_snapshots_for(keys: frozenset[tuple[str, dt.date]]) -> tuple[Snapshot, ...]:
    slugs = {slug for slug, _ in keys}
    lists = _sliced_lists(keys)
    snaps = snapshots_of(_shipped_snapshot_table(), _lists_of_slugs(slugs) if lists is None else lists, slugs)
    return tuple(s for s in snaps if (s.slug, s.date) in keys)


@lru_cache(maxsize=1)
def shipped_snapshots() -> tuple[Snapshot, ...]:
    """Every shipped portal snapshot, oldest first per agency."""
    snapshots, lists = (pq.read_table(SHIPPED / f"{name}.parquet") for name in ("snapshots", "lists"))
    return snapshots_of(snapshots, lists)


def write_search_audits(rows: Any, target: Path = SHIPPED) -> None:
    """The own-search audit aggregates (sharemap.sharing.search_audits), written atomically."""
    from sharemap.sharing.search_audits import to_table

    tmp = target / ".search_audits.parquet.tmp"
    pq.write_table(to_table(rows), tmp, compression="zstd")
    tmp.replace(target / "search_audits.parquet")


@lru_cache(maxsize=1)
def shipped_search_audits() -> tuple[Any, ...]:
    """The shipped own-search audit aggregates per portal (PortalSearches)."""
    from sharemap.sharing.search_audits import from_table

    return tuple(from_table(pq.read_table(SHIPPED / "search_audits.parquet")))


@lru_cache(maxsize=1)
def shipped_audits() -> tuple[AuditOrg, ...]:
    return tuple(AuditOrg(**r) for r in pq.read_table(SHIPPED / "network_audits.parquet").to_pylist())


def kept_dir() -> Path:
    """Where `update --from` keeps the portal snapshots it added ($SHAREMAP_HOME/portals/<slug>/<date>.json),
    so a rebuilt database gets them back."""
    return settings.home() / "portals"


def kept_snapshots(folder: Path | None = None) -> list[Snapshot]:
    """The portal snapshots added by `update --from` (none when the folder does not exist)."""
    base = folder or kept_dir()
    if not base.is_dir() or not any(base.glob("*/????-??-??.json")):
        return []  # nothing added yet (a staging folder of an update under way holds no dated file)
    return read_snapshots(base, shipped_registry())


def all_snapshots(kept: Path | None = None) -> list[Snapshot]:
    """The shipped snapshots and those added since, one per agency and date (the shipped one wins)."""
    out = {(s.slug, s.date): s for s in kept_snapshots(kept)}
    out.update({(s.slug, s.date): s for s in shipped_snapshots()})
    return sorted(out.values(), key=lambda s: (s.slug, s.date))


TABLES = ("portals", "portal_snapshots", "portal_lists", "sharing_edges", "audit_orgs", "portal_summaries")


def _reach(org: Org, home: str | None) -> str:
    return org.reach(home).value if home else Reach.UNKNOWN.value


def _edges_table(lists: pa.Table, snaps: list[Snapshot], resolve: Resolver) -> pa.Table:
    """Each agency → organisation link and direction, with the first and last snapshot listing it
    (grouped by DuckDB over the lists table; each distinct name is resolved once)."""
    import duckdb

    home = {s.slug: s.state for s in snaps}
    pairs = {
        (slug, org) for slug, org in zip(lists["slug"].to_pylist(), lists["org"].to_pylist(), strict=True)
    }
    resolved = {o: resolve(o) for o in {org for _, org in pairs}}
    orgs = pa.Table.from_pylist(
        [
            {
                "slug": slug,
                "org": org,
                "kind": resolved[org].kind.value,
                "org_state": resolved[org].state,
                "reach": _reach(resolved[org], home.get(slug)),
                "inactive": resolved[org].inactive,
            }
            for slug, org in sorted(pairs)
        ]
    )
    con = duckdb.connect()
    try:
        con.register("lists", lists)
        con.register("orgs", orgs)
        return con.sql(
            """
            SELECT l.slug, l.direction, l.org, o.kind, o.org_state, o.reach, o.inactive,
                   min(l.date) AS first_seen, max(l.date) AS last_seen,
                   CAST(count(DISTINCT l.date) AS INTEGER) AS snapshots_seen
            FROM lists l JOIN orgs o USING (slug, org)
            GROUP BY ALL ORDER BY l.slug, l.direction, l.org
            """
        ).to_arrow_table()
    finally:
        con.close()


def _audit_rows(audits: Iterable[AuditOrg], resolve: Resolver) -> list[dict[str, Any]]:
    rows = []
    for a in audits:
        org = resolve(a.org)
        rows.append(
            {
                "network": a.network,
                "network_state": a.network_state,
                "org": a.org,
                "kind": org.kind.value,
                "org_state": org.state,
                "reach": org.reach(a.network_state).value,
                "searches": a.searches,
                "first": a.first,
                "last": a.last,
                "source": a.source,
            }
        )
    return rows


_SCHEMAS = {
    "portal_snapshots": pa.schema(
        [
            ("slug", pa.string()),
            ("agency", pa.string()),
            ("state", pa.string()),
            ("date", pa.date32()),
            ("outbound", pa.int32()),
            ("inbound", pa.int32()),
            ("retention_days", pa.int32()),
            ("camera_count", pa.int32()),
            ("prohibited_uses", pa.string()),
            ("source", pa.string()),
        ]
    ),
    "portal_lists": pa.schema(
        [("slug", pa.string()), ("date", pa.date32()), ("direction", pa.string()), ("org", pa.string())]
    ),
}


def database_tables(
    snapshots: Iterable[Snapshot] | None = None,
    audits: Iterable[AuditOrg] | None = None,
    registry: dict[str, Placed] | None = None,
) -> dict[str, pa.Table]:
    """The sharing ledger as five tables: portals, portal_snapshots, portal_lists (every name on every
    snapshot's lists), sharing_edges (each agency → organisation and direction, with the first and
    last snapshot that lists it) and audit_orgs. Organisations carry their resolved kind, state and
    reach; the law's rulings are not stored (they depend on the date asked and are computed by
    `sharemap.sharing.findings`), but each snapshot's counts by reach are (portal_summaries, the
    index of `sharemap.sharing.index`). By default: the shipped snapshots and those `update --from`
    added."""
    snaps = list(all_snapshots() if snapshots is None else snapshots)
    reg = shipped_registry() if registry is None else registry
    resolve = Resolver(reg, shipped_organisations() if registry is None else None)
    portals: dict[str, dict[str, object]] = {}
    for s in snaps:
        placed = reg.get("slug:" + s.slug)
        portals[s.slug] = {
            "slug": s.slug,
            "agency": s.agency,
            "state": s.state,
            "county_fips": placed.county_fips if placed else None,
            "place_fips": placed.place_fips if placed else None,
        }
    snapshot_rows = [
        {
            "slug": s.slug,
            "agency": s.agency,
            "state": s.state,
            "date": s.date,
            "outbound": len(s.outbound),
            "inbound": len(s.inbound),
            "retention_days": s.retention_days,
            "camera_count": s.camera_count,
            "prohibited_uses": s.prohibited_uses,
            "source": s.source,
        }
        for s in snaps
    ]
    lists = _lists_table(snaps)
    return {
        "portals": pa.Table.from_pylist(list(portals.values())),
        "portal_snapshots": pa.Table.from_pylist(snapshot_rows, schema=_SCHEMAS["portal_snapshots"]),
        "portal_lists": lists,
        "sharing_edges": _edges_table(lists, snaps, resolve),
        "audit_orgs": pa.Table.from_pylist(
            _audit_rows(shipped_audits() if audits is None else audits, resolve)
        ),
        "portal_summaries": summarise(snaps, resolve, reg),
    }


def write_tables_locked(db: Path, data: dict[str, pa.Table]) -> dict[str, int]:
    """Replace the sharing tables in one transaction; the caller holds the ledger's write lock."""
    import duckdb

    from sharemap.errors import StoreError

    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database: {exc}", file=db) from exc
    try:
        con.execute("BEGIN TRANSACTION")
        for name in TABLES:
            con.register("_incoming", data[name])
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _incoming")
            con.unregister("_incoming")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"cannot write the sharing tables: {exc}", file=db) from exc
    finally:
        con.close()
    return {name: data[name].num_rows for name in TABLES}


def write_database(db: Path, tables: dict[str, pa.Table] | None = None) -> dict[str, int]:
    """Replace the sharing tables of the ledger database in one transaction, under its write lock
    (a failure leaves the previous tables in place). Returns the row count per table."""
    from sharemap.ledger.store import write_lock

    data = database_tables() if tables is None else tables
    with write_lock(db):
        return write_tables_locked(db, data)


def _db_version(db: Path) -> tuple[str, int] | None:
    """The database's identity for caching (path and modification time), or None without one."""
    try:
        return (str(db), db.stat().st_mtime_ns)
    except OSError:
        return None


def _open_read_only(path: str) -> Any:
    import duckdb

    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.Error:
        return None  # locked by a writer or not a database: the caller falls back to the shipped data


@lru_cache(maxsize=4)
def _db_index(version: tuple[str, int]) -> tuple[SnapshotSummary, ...] | None:
    """The database's index (portal_summaries), or None if it has no (current) sharing tables."""
    con = _open_read_only(version[0])
    if con is None:
        return None
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not set(TABLES) <= have:
            return None  # built before this version of the sharing ledger
        return summaries_from(con.sql("SELECT * FROM portal_summaries").to_arrow_table())
    finally:
        con.close()


def _db_states(version: tuple[str, int]) -> frozenset[str] | None:
    """The states with portal data in the database, or None if it has no (current) sharing tables."""
    index = _db_index(version)
    return None if index is None else frozenset(x.state for x in index if x.state)


def _db_snapshots_for(version: tuple[str, int], keys: frozenset[tuple[str, dt.date]]) -> tuple[Snapshot, ...]:
    con = _open_read_only(version[0])
    if con is None:
        return tuple(s for s in shipped_snapshots() if (s.slug, s.date) in keys)  # locked: as data_of does
    try:
        con.register("want", pa.table({"slug": sorted({slug for slug, _ in keys})}))
        snaps = snapshots_of(
            con.sql("SELECT * FROM portal_snapshots WHERE slug IN (SELECT slug FROM want)").to_arrow_table(),
            con.sql(
                "SELECT slug, date, direction, org FROM portal_lists WHERE slug IN (SELECT slug FROM want)"
            ).to_arrow_table(),
        )
    finally:
        con.close()
    return tuple(s for s in snaps if (s.slug, s.date) in keys)


@lru_cache(maxsize=2)
def _db_tables(version: tuple[str, int]) -> tuple[tuple[Snapshot, ...], tuple[AuditOrg, ...]] | None:
    con = _open_read_only(version[0])
    if con is None:
        return None
    try:
        snaps = snapshots_of(
            con.sql("SELECT * FROM portal_snapshots").to_arrow_table(),
            con.sql("SELECT slug, date, direction, org FROM portal_lists").to_arrow_table(),
        )
        cols = "network, network_state, org, searches, first, last, source"
        rows = con.sql(f"SELECT {cols} FROM audit_orgs").to_arrow_table().to_pylist()
    finally:
        con.close()
    return snaps, tuple(AuditOrg(**r) for r in rows)


SHIPPED_VERSION = "shipped"


def data_version(db: Path | None = None) -> str:
    """Which sharing data the answers use: the database's tables where a database with them exists
    (so snapshots added by `update --from` are in every answer), else the shipped data ("shipped").
    Cheap: a stat and, once per database version, a look at its tables."""
    version = _db_version(db or settings.db_path())
    if version is None or _db_states(version) is None:
        return SHIPPED_VERSION
    return f"{version[1]}:{version[0]}"


def _parse(version: str) -> tuple[str, int]:
    mtime, path = version.split(":", 1)
    return path, int(mtime)


def states_with_data(version: str) -> frozenset[str]:
    """The states that have portal snapshots in this version of the data."""
    if version == SHIPPED_VERSION:
        return shipped_states()
    return _db_states(_parse(version)) or frozenset()


def summaries_of(version: str) -> tuple[SnapshotSummary, ...]:
    """The index of one version of the data: one summary per snapshot."""
    if version != SHIPPED_VERSION:
        got = _db_index(_parse(version))
        if got is not None:
            return got
    return shipped_summaries()


@lru_cache(maxsize=64)
def snapshots_for(version: str, keys: frozenset[tuple[str, dt.date]]) -> tuple[Snapshot, ...]:
    """The snapshots (slug, date) `keys` of one version of the data, with their lists, read without
    the other portals' lists; by slug and date."""
    if not keys:
        return ()
    if version != SHIPPED_VERSION:
        got = _db_snapshots_for(_parse(version), keys)
    else:
        got = _shipped_snapshots_for(keys)
    return tuple(sorted(got, key=lambda s: (s.slug, s.date)))


def data_of(version: str) -> tuple[tuple[Snapshot, ...], tuple[AuditOrg, ...]]:
    """The snapshots and network-audit rows of one version of the data."""
    if version != SHIPPED_VERSION:
        got = _db_tables(_parse(version))
        if got is not None:
            return got
    return shipped_snapshots(), shipped_audits()
