"""The shipped plate-reader sharing data: written by scripts/build_sharing_data.py, read back as the
same records the readers give (so shipped data and a user's new snapshots take one path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sharemap.settings import DATA_DIR
from sharemap.sharing.orgs import Placed
from sharemap.sharing.portals import AuditOrg, Snapshot

SHIPPED = DATA_DIR / "sharing"


def _rel(path: str, base: Path | None) -> str:
    if base is None:
        return path
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path


def write_shipped(
    snapshots: Iterable[Snapshot],
    registry: dict[str, Placed],
    audit: Iterable[AuditOrg],
    *,
    relative_to: Path | None = None,
    target: Path = SHIPPED,
) -> None:
    """Write the four tables (snapshots, lists, registry, network_audits) atomically per file."""
    snaps = list(snapshots)
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
        "lists": pa.table(
            {
                "slug": [s.slug for s in snaps for _ in (*s.outbound, *s.inbound)],
                "date": [s.date for s in snaps for _ in (*s.outbound, *s.inbound)],
                "direction": [
                    d for s in snaps for d in ["outbound"] * len(s.outbound) + ["inbound"] * len(s.inbound)
                ],
                "org": [o for s in snaps for o in (*s.outbound, *s.inbound)],
            }
        ),
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
    }
    target.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        tmp = target / f".{name}.parquet.tmp"
        pq.write_table(table, tmp, compression="zstd")
        tmp.replace(target / f"{name}.parquet")


@lru_cache(maxsize=1)
def shipped_registry() -> dict[str, Placed]:
    t = pq.read_table(SHIPPED / "registry.parquet").to_pylist()
    return {r["key"]: Placed(r["state"], r["county_fips"], r["place_fips"]) for r in t}


@lru_cache(maxsize=1)
def shipped_states() -> frozenset[str]:
    """The states with shipped portal data (read from the small snapshots table alone, so a question
    about any other state never loads the sharing lists)."""
    return frozenset(
        s for s in pq.read_table(SHIPPED / "snapshots.parquet", columns=["state"])["state"].to_pylist() if s
    )


@lru_cache(maxsize=1)
def shipped_snapshots() -> tuple[Snapshot, ...]:
    """Every shipped portal snapshot, oldest first per agency."""
    lists: dict[tuple[str, dt.date], dict[str, list[str]]] = {}
    for r in pq.read_table(SHIPPED / "lists.parquet").to_pylist():
        lists.setdefault((r["slug"], r["date"]), {"outbound": [], "inbound": []})[r["direction"]].append(
            r["org"]
        )
    out = []
    for r in pq.read_table(SHIPPED / "snapshots.parquet").to_pylist():
        got = lists.get((r["slug"], r["date"]), {"outbound": [], "inbound": []})
        out.append(
            Snapshot(
                slug=r["slug"],
                agency=r["agency"],
                state=r["state"],
                date=r["date"],
                outbound=tuple(got["outbound"]),
                inbound=tuple(got["inbound"]),
                retention_days=r["retention_days"],
                prohibited_uses=r["prohibited_uses"],
                camera_count=r["camera_count"],
                source=r["source"],
            )
        )
    return tuple(sorted(out, key=lambda s: (s.slug, s.date)))


@lru_cache(maxsize=1)
def shipped_audits() -> tuple[AuditOrg, ...]:
    return tuple(AuditOrg(**r) for r in pq.read_table(SHIPPED / "network_audits.parquet").to_pylist())


TABLES = ("portals", "portal_snapshots", "sharing_edges", "audit_orgs")


def database_tables(
    snapshots: Iterable[Snapshot] | None = None,
    audits: Iterable[AuditOrg] | None = None,
    registry: dict[str, Placed] | None = None,
) -> dict[str, pa.Table]:
    """The sharing ledger as four tables: portals, portal_snapshots, sharing_edges (each agency →
    organisation and direction, with the first and last snapshot that lists it) and audit_orgs.
    Organisations carry their resolved kind, state and reach; the law's rulings are not stored (they
    depend on the date asked and are computed by `sharemap.sharing.findings`)."""
    from sharemap.sharing.orgs import Resolver

    snaps = list(shipped_snapshots() if snapshots is None else snapshots)
    reg = shipped_registry() if registry is None else registry
    resolve = Resolver(reg)
    portals: dict[str, dict[str, object]] = {}
    edges: dict[tuple[str, str, str], dict[str, object]] = {}
    seen: dict[tuple[str, str, str], list[dt.date]] = {}
    for s in snaps:
        placed = reg.get("slug:" + s.slug)
        portals[s.slug] = {
            "slug": s.slug,
            "agency": s.agency,
            "state": s.state,
            "county_fips": placed.county_fips if placed else None,
            "place_fips": placed.place_fips if placed else None,
        }
        for direction, names in (("outbound", s.outbound), ("inbound", s.inbound)):
            for name in names:
                key = (s.slug, direction, name)
                seen.setdefault(key, []).append(s.date)
                if key not in edges:
                    org = resolve(name)
                    edges[key] = {
                        "slug": s.slug,
                        "direction": direction,
                        "org": name,
                        "kind": org.kind.value,
                        "org_state": org.state,
                        "reach": org.reach(s.state).value if s.state else "unknown",
                        "inactive": org.inactive,
                    }
    for key, dates in seen.items():
        edges[key].update(first_seen=min(dates), last_seen=max(dates), snapshots_seen=len(dates))
    audit_rows = []
    for a in shipped_audits() if audits is None else audits:
        org = resolve(a.org)
        audit_rows.append(
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
    snapshot_rows = [
        {
            "slug": s.slug,
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
    return {
        "portals": pa.Table.from_pylist(list(portals.values())),
        "portal_snapshots": pa.Table.from_pylist(snapshot_rows),
        "sharing_edges": pa.Table.from_pylist(list(edges.values())),
        "audit_orgs": pa.Table.from_pylist(audit_rows),
    }


def write_database(db: Path, tables: dict[str, pa.Table] | None = None) -> dict[str, int]:
    """Replace the sharing tables of the ledger database in one transaction, under its write lock
    (a failure leaves the previous tables in place). Returns the row count per table."""
    import duckdb

    from sharemap.errors import StoreError
    from sharemap.ledger.store import write_lock

    data = database_tables() if tables is None else tables
    with write_lock(db):
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
