"""Own-search audits that portals publish, kept only as aggregates per portal (who searched is never kept).

A row is one search an agency's officer ran: date, how many camera networks it reached (its own and
those shared with it) and a free-text reason. What bears on sharing is how many searches reached
other agencies' networks and how many reasons name a federal agency or immigration; the reason text
itself is not kept (officers type case numbers and sometimes people's names), nor the user ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharemap.errors import InputError
from sharemap.safety import csv_field_cap, read_regular_file

COLUMNS = ("portal", "portal_name", "searchDate", "networkCount", "reason")
# a federal agency named in a reason ("Usms case", "FBI assist", "DHS AOD"); ICE only in capitals
# ("ice" is a word), and the agency is recorded by its short name, never the reason's other words
_FEDERAL = {
    "USMS": r"usms|u\.?s\.? marshals?",
    "FBI": r"fbi",
    "ATF": r"atf",
    "DEA": r"dea",
    "DHS": r"dhs|homeland security",
    "HSI": r"hsi",
    "ICE": r"(?-i:ICE)|immigration and customs",
    "CBP": r"cbp|border patrol",
    "USPIS": r"uspis|postal inspect\w*",
    "Secret Service": r"secret service|usss",
}
_FEDERAL_RX = {k: re.compile(rf"\b({v})\b", re.IGNORECASE) for k, v in _FEDERAL.items()}
_IMMIGRATION = re.compile(r"\b(immigra\w*|deport\w*|(?-i:ICE))\b", re.IGNORECASE)  # not "removal": tows
_CASE_NUMBER = re.compile(r"\d{2,}[-\d]*\d")


@dataclass
class PortalSearches:
    """One portal's own-search audit, as counts (no reason text, no user)."""

    portal: str
    agency: str
    searches: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    reason_blank: int = 0
    reason_case_number: int = 0
    reached_other_networks: int = 0
    """Searches that reached more than the agency's own network (networkCount > 1)."""
    federal_named: dict[str, int] = field(default_factory=dict)
    immigration_named: int = 0
    source: str = ""

    def add(self, day: dt.date, networks: int, reason: str) -> None:
        self.searches += 1
        self.first = day if self.first is None or day < self.first else self.first
        self.last = day if self.last is None or day > self.last else self.last
        text = reason.strip()
        self.reason_blank += not text
        self.reason_case_number += bool(_CASE_NUMBER.search(text))
        self.reached_other_networks += networks > 1
        for agency, rx in _FEDERAL_RX.items():
            if rx.search(text):
                self.federal_named[agency] = self.federal_named.get(agency, 0) + 1
        self.immigration_named += bool(_IMMIGRATION.search(text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "portal": self.portal,
            "agency": self.agency,
            "searches": self.searches,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "reason_blank": self.reason_blank,
            "reason_case_number": self.reason_case_number,
            "reached_other_networks": self.reached_other_networks,
            "federal_named": dict(sorted(self.federal_named.items())),
            "immigration_named": self.immigration_named,
            "source": self.source,
        }


def _parse_row(r: dict[str, str], path: Path, line: int) -> tuple[dt.date, int]:
    try:
        return dt.date.fromisoformat(r["searchDate"][:10]), int(r["networkCount"] or 0)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read the row: {exc}", file=path, row=line) from None


def read_search_audits(path: str | Path) -> list[PortalSearches]:
    """Aggregate a search-audit CSV (portal, portal_name, searchDate, networkCount, reason) per portal."""
    p = Path(path)
    csv_field_cap()
    text = read_regular_file(p, what="search-audit CSV").decode("utf-8", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"no column {', '.join(missing)}", file=p, expected="columns " + ", ".join(COLUMNS))
    out: dict[str, PortalSearches] = {}
    for line, r in enumerate(reader, start=2):
        day, networks = _parse_row(r, p, line)
        got = out.get(r["portal"])
        if got is None:
            got = out[r["portal"]] = PortalSearches(r["portal"], r["portal_name"].strip(), source=str(p))
        got.add(day, networks, r["reason"] or "")
    return sorted(out.values(), key=lambda s: s.portal)


def to_table(rows: Iterable[PortalSearches]) -> Any:
    """The aggregates as an Arrow table (federal_named as "AGENCY=n;..." text)."""
    import pyarrow as pa

    dicts = [s.to_dict() for s in rows]
    for d in dicts:
        d["federal_named"] = ";".join(f"{k}={v}" for k, v in d["federal_named"].items())
        d["first"], d["last"] = (dt.date.fromisoformat(d[k]) if d[k] else None for k in ("first", "last"))
    return pa.Table.from_pylist(dicts)


def from_table(table: Any) -> list[PortalSearches]:
    """The aggregates back from `to_table`'s form."""
    out = []
    for d in table.to_pylist():
        named = dict(kv.split("=") for kv in d.pop("federal_named").split(";") if kv)
        out.append(PortalSearches(**d, federal_named={k: int(v) for k, v in named.items()}))
    return out


def matching(rows: Iterable[PortalSearches], portal: str | None) -> list[PortalSearches]:
    """The portals whose agency name or slug contains `portal` (all when None)."""
    from sharemap.sharing.orgs import name_key

    want = name_key(portal) if portal else ""
    return [s for s in rows if want in name_key(s.agency) or want in name_key(s.portal)]


def totals(rows: Iterable[PortalSearches]) -> dict[str, Any]:
    """The sums over portals, for a one-line summary."""
    items = list(rows)
    named: dict[str, int] = {}
    for s in items:
        for k, v in s.federal_named.items():
            named[k] = named.get(k, 0) + v
    return {
        "portals": len(items),
        "searches": sum(s.searches for s in items),
        "reached_other_networks": sum(s.reached_other_networks for s in items),
        "reason_blank": sum(s.reason_blank for s in items),
        "federal_named": dict(sorted(named.items())),
        "immigration_named": sum(s.immigration_named for s in items),
    }
