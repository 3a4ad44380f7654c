"""The 287(g) models per county on a scenario's date, read from the ledger database (an edge: I/O).

The simulator owns no copy of ICE's lists. `ledger_agreements` opens the ledger (`sharemap build`
makes it), takes ICE's latest complete participating list on or before the date (or the latest list
when no date is given), and maps its agreements to counties with
`sharemap.sim.counties.agreements_by_county` (the trace's rule for statewide agencies). The result,
`CountyAgreements`, is plain data: the kernel and `compile_model` stay pure and take it as an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharemap.sim.counties import AgencyPlace, Counties, agreements_by_county, counties


@dataclass(frozen=True)
class CountyAgreements:
    """287(g) models per county (FIPS -> subset of JEM, TFM, WSO) from one of ICE's lists."""

    models: Mapping[str, frozenset[str]] = field(default_factory=dict)
    list_date: dt.date | None = None  # the date of ICE's list used (None: no list on or before the date)
    snapshot_id: str | None = None
    agreements: int = 0  # agreements on that list
    unplaced: int = 0  # of them, held by agencies the ledger could not place (counted nowhere)

    def restrict(self, fips: Any) -> CountyAgreements:
        """The same, for the given counties only (what a worker task needs)."""
        keep = {str(f) for f in fips}
        return CountyAgreements(
            {f: m for f, m in self.models.items() if f in keep},
            self.list_date,
            self.snapshot_id,
            self.agreements,
            self.unplaced,
        )

    def counties_with(self) -> dict[str, int]:
        """Number of counties with each model."""
        return {m: sum(m in v for v in self.models.values()) for m in ("JEM", "TFM", "WSO")}

    def describe(self) -> dict[str, Any]:
        return {
            "source": "ledger",
            "ice_list_date": self.list_date.isoformat() if self.list_date else None,
            "snapshot_id": self.snapshot_id,
            "agreements_on_list": self.agreements,
            "agreements_unplaced": self.unplaced,
            "counties_with": self.counties_with(),
            "statewide_rule": "statewide agencies' Task Force agreements count in every county of "
            "their state; their JEM and WSO agreements do not (sharemap.flows.graph.agreements_for_county)",
        }


def from_connection(con: Any, day: dt.date | None = None, table: Counties | None = None) -> CountyAgreements:
    """County models from an open ledger connection: ICE's list in force on `day` (None: the latest)."""
    from sharemap.ledger import query

    snap = query.snapshot_as_of(con, day or dt.date.max)
    if snap is None:
        return CountyAgreements(list_date=None, snapshot_id=None)
    found = query.agreements(con, as_of=snap[1])
    places = {
        r[0]: AgencyPlace(r[1], bool(r[2]), r[3])
        for r in con.execute("SELECT agency_id, county_fips, statewide, state FROM agencies").fetchall()
    }
    table = table if table is not None else counties()
    county_state = dict(zip(map(str, table.fips), map(str, table.state), strict=True))
    unplaced = sum(
        1 for a in found if (p := places.get(a.agency_id)) is None or (not p.county_fips and not p.statewide)
    )
    models = agreements_by_county(found, places, county_state)
    return CountyAgreements(models, snap[1], snap[0], len(found), unplaced)


def ledger_agreements(db: Path | None = None, day: dt.date | None = None) -> CountyAgreements:
    """Open the ledger database (default: $SHAREMAP_DB or ~/.sharemap/sharemap.duckdb) and read the
    county models on `day`; StoreError ("run `sharemap build` first") when there is no database."""
    from sharemap.ledger import store

    with store.connect(db) as con:
        return from_connection(con, day)
