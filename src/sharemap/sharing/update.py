"""Add new portal snapshots (JSON, the sm-alpr form) to the sharing ledger: `update --from PATH`.

Every file is read and checked before anything changes; then, under the ledger's write lock, the
new files are staged beside the kept ones ($SHAREMAP_HOME/portals/), the sharing tables are
rewritten from the shipped and kept snapshots in one transaction, and only then are the staged files
moved into place. A failure at any step leaves the database and the kept files as they were. A
rebuilt database (`build`, an ICE `update`) gets the kept snapshots back.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharemap import settings
from sharemap.errors import InputError
from sharemap.sharing.portals import Snapshot, read_snapshot
from sharemap.sharing.store import (
    all_snapshots,
    database_tables,
    kept_dir,
    shipped_registry,
    write_tables_locked,
)


@dataclass
class PortalUpdate:
    """What `add_snapshots` did."""

    added: list[dict[str, Any]] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "already_present": self.already_present, "sharing": self.rows}


def is_portal_source(source: str) -> bool:
    """True for a portal JSON file or a folder holding portal JSON (<slug>/<date>.json or *.json),
    so `sharemap update --from` can tell portal snapshots from ICE lists."""
    p = Path(source)
    if "://" in source or source == "ice":
        return False
    if p.is_file():
        return p.suffix.lower() == ".json"
    return p.is_dir() and any(_looks_like_portal(f) for f in _json_files(p))


def _looks_like_portal(f: Path) -> bool:
    try:
        with f.open("rb") as fh:
            return b'"crawled_slug"' in fh.read(4096)
    except OSError:
        return False


def _json_files(folder: Path) -> list[Path]:
    return sorted({*folder.glob("*.json"), *folder.glob("*/*.json")})


def _check(s: Snapshot, path: Path, accept_empty: bool) -> None:
    """An empty sharing list is refused unless asked for: a page not fully captured reads the same,
    and adding it would end every sharing link's last-seen date."""
    if not s.outbound and not s.inbound and not accept_empty:
        raise InputError(
            "the sharing lists are empty (sharing_outbound and sharing_inbound); a portal page that was not "
            "fully captured reads the same. Pass --accept-empty to add it as a portal listing no one",
            file=path,
            field="sharing_outbound",
        )
    if s.date > dt.date.today():
        raise InputError(
            f"archived_date {s.date.isoformat()} is in the future", file=path, field="archived_date"
        )
    if "/" in s.slug or s.slug in ("", ".", ".."):
        raise InputError(f"not a portal slug: {s.slug!r}", file=path, field="crawled_slug")


def read_new(source: str | Path, accept_empty: bool = False) -> list[tuple[Path, Snapshot]]:
    """Every portal snapshot in a file or folder, read and checked (an InputError names the file)."""
    p = Path(source)
    files = [p] if p.is_file() else _json_files(p) if p.is_dir() else []
    if not files:
        what = "no portal JSON found in the folder" if p.is_dir() else "no such file or folder"
        raise InputError(what, file=p, expected="a portal snapshot .json or a folder of them")
    registry = shipped_registry()
    out = []
    for f in files:
        s = read_snapshot(f, registry)
        _check(s, f, accept_empty)
        out.append((f, s))
    return out


def add_snapshots(
    source: str | Path, db: Path | None = None, *, accept_empty: bool = False, keep: Path | None = None
) -> PortalUpdate:
    """Add the portal snapshots in `source` that the ledger lacks; rewrite the sharing tables."""
    from sharemap.ledger.store import write_lock

    db = db or settings.db_path()
    keep = keep or kept_dir()
    new = read_new(source, accept_empty)
    result = PortalUpdate()
    with write_lock(db):
        have = {(s.slug, s.date) for s in all_snapshots(keep)}
        fresh: dict[tuple[str, dt.date], tuple[Path, Snapshot]] = {}
        for f, s in new:
            if (s.slug, s.date) in have or (s.slug, s.date) in fresh:
                result.already_present.append(f"{f} ({s.slug} {s.date.isoformat()})")
            else:
                fresh[(s.slug, s.date)] = (f, s)
        if not fresh:
            return result
        keep.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=keep) as tmp:
            staged = _stage(list(fresh.values()), Path(tmp))
            kept = [s for s in all_snapshots(keep) if (s.slug, s.date) not in fresh]
            snaps = [*kept, *(_kept_form(s, keep) for _, s in fresh.values())]
            result.rows = write_tables_locked(db, database_tables(snaps))
            for src, s in staged:
                target = keep / s.slug / f"{s.date.isoformat()}.json"
                target.parent.mkdir(exist_ok=True)
                src.replace(target)
    result.added = [_added(f, s) for f, s in fresh.values()]
    return result


def _added(f: Path, s: Snapshot) -> dict[str, Any]:
    return {
        "file": str(f),
        "slug": s.slug,
        "agency": s.agency,
        "date": s.date.isoformat(),
        "outbound": len(s.outbound),
    }


def _stage(items: list[tuple[Path, Snapshot]], tmp: Path) -> list[tuple[Path, Snapshot]]:
    """Copy each new file into the staging folder (same file system as the kept ones)."""
    out = []
    for i, (f, s) in enumerate(items):
        dest = tmp / f"{i}.json"
        shutil.copyfile(f, dest)
        json.loads(dest.read_bytes())  # the copy is whole
        out.append((dest, s))
    return out


def _kept_form(s: Snapshot, keep: Path) -> Snapshot:
    """The snapshot as it will be read back from the kept folder (its source is the kept file)."""
    from dataclasses import replace

    return replace(s, source=str(keep / s.slug / f"{s.date.isoformat()}.json"))
