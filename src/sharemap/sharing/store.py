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
