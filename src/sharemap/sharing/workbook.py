"""Read the national portal scrape (a workbook, one row per portal) into the same snapshots as JSON.

The scrape of 2025-06-11 (`flock-portals/national-2025-06-11/`) has one row per public portal on
sheet `master`: agency name, portal URL, prohibited uses, retention ("30 days"), camera count and
"External organizations with access" (names separated by commas; "N/A" when the portal lists none).
It states no inbound list, so inbound is empty. A portal scraped twice in the file gives one
snapshot whose list is the union of its rows (the rows are cited). A sheet of another layout is an
InputError naming the file and the missing column, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sharemap.errors import InputError
from sharemap.safety import check_regular_file
from sharemap.sharing.orgs import Placed, resolve
from sharemap.sharing.portals import Snapshot

ARCHIVE_URL = (
    "https://github.com/JonGerhardson/axon-fusus-analysis-tools/blob/1ed97d857b3b1dc96685d4842f7b4e8aa7400768/"
    "flock/flock_all_public_6-11-2025.xlsx"
)
"""Where the national scrape is published (the commit the shipped data was built from)."""
SHEET = "master"
AGENCY, URL, ORGS = "Agency Name", "Transparency URL", "External organizations with access"
REQUIRED = (AGENCY, URL, ORGS)
RETENTION, CAMERAS = "Data retention (in days)", "Number of LPR and other cameras"
PROHIBITED = "Prohibited Uses"
_NOT_A_LIST = re.compile(r"^(n/?a|none|)$", re.IGNORECASE)
_DAY_IN_NAME = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")  # flock_all_public_6-11-2025.xlsx
_STATEMENT = re.compile(r"^(we|our|please)\b|^(\S+\s+){10,}\S+\.$", re.IGNORECASE)
"""A sentence in the cell ("We currently do share data ... please contact our department."), not a name."""


def _rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineError, CalamineWorkbook

    check_regular_file(path, what="portal workbook")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(f"not a readable workbook: {exc}", file=path, expected="an .xlsx workbook") from None
    if SHEET not in book.sheet_names:
        raise InputError(f"no sheet {SHEET!r} (sheets: {', '.join(book.sheet_names)})", file=path)
    rows: list[list[Any]] = book.get_sheet_by_name(SHEET).to_python()
    return rows


def _day_of(path: Path) -> dt.date:
    m = _DAY_IN_NAME.search(path.name)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        except ValueError:
            pass
    raise InputError("no scrape date in the file name", file=path, expected="a name like ..._6-11-2025.xlsx")


def _retention(value: Any) -> int | None:
    m = re.fullmatch(r"\s*(\d+)(?:\.0)?\s*(days?)?\s*", str(value))
    return int(m.group(1)) if m else None  # "N/A", "-Infinity days", "Data Unavailable": not stated


def _cameras(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value >= 0 else None


def _names(cell: Any) -> tuple[tuple[str, ...], bool]:
    """The organisation names of one cell, and whether the cell was a statement instead of a list."""
    if not isinstance(cell, str) or _NOT_A_LIST.match(cell.strip()):
        return (), False
    parts = [p.strip() for p in re.split(r"[,\n]", cell)]
    if any(_STATEMENT.search(p) for p in parts):
        return (), True
    return tuple(p for p in parts if p and not _NOT_A_LIST.match(p)), False


SM_ALPR_URL = (
    "https://github.com/none-below/sm-alpr/blob/305f3bffe2e75d5462805526607199b10d32f39b/assets/"
    "transparency.flocksafety.com"
)


def archive_url(slug: str, day: dt.date, source: str) -> str | None:
    """Where the snapshot a source names is published: the national workbook, the sm-alpr archive's
    file, or None for a snapshot added from a local file (`update --from`)."""
    if "flock_all_public_6-11-2025.xlsx" in source:
        return ARCHIVE_URL
    if "sm-alpr" in source:
        return f"{SM_ALPR_URL}/{slug}/{day.isoformat()}.json"
    return None


def read_workbook(
    path: str | Path, registry: dict[str, Placed] | None = None, day: dt.date | None = None
) -> list[Snapshot]:
    """One snapshot per portal of a national scrape, dated `day` (default: the date in the file name)."""
    p = Path(path)
    rows = _rows(p)
    if not rows:
        raise InputError(f"sheet {SHEET!r} is empty", file=p)
    header = [str(h).strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"sheet {SHEET!r} has no column {', '.join(repr(c) for c in missing)}",
            file=p,
            expected="columns " + ", ".join(REQUIRED),
        )
    col = {name: header.index(name) for name in (*REQUIRED, RETENTION, CAMERAS, PROHIBITED) if name in header}
    when = day or _day_of(p)
    merged: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows[1:], start=2):
        cells = {name: row[j] if j < len(row) else None for name, j in col.items()}
        url, agency = str(cells[URL] or "").strip(), str(cells[AGENCY] or "").strip()
        if not url and not agency:
            continue  # a blank row
        slug = url.rstrip("/").rsplit("/", 1)[-1]
        if not slug or not agency:
            raise InputError("a portal row needs both an agency name and a portal URL", file=p, row=i)
        names, statement = _names(cells[ORGS])
        got = merged.setdefault(slug, {"agency": agency, "cells": cells, "names": {}, "rows": []})
        got["names"].update(dict.fromkeys(names))
        got["rows"].append(f"{i}{' (a statement, not a list)' if statement else ''}")
    out = []
    for slug, got in merged.items():
        placed = (registry or {}).get("slug:" + slug)
        cells = got["cells"]
        prohibited = str(cells.get(PROHIBITED) or "").strip()
        out.append(
            Snapshot(
                slug=slug,
                agency=got["agency"],
                state=placed.state if placed else resolve(got["agency"]).state,
                date=when,
                outbound=tuple(got["names"]),
                inbound=(),
                retention_days=_retention(cells.get(RETENTION)),
                prohibited_uses=prohibited or None,
                camera_count=_cameras(cells.get(CAMERAS)),
                source=f"{p}#{SHEET}!row {', '.join(got['rows'])}",
            )
        )
    return sorted(out, key=lambda s: s.slug)
