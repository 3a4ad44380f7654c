"""County composition and 287(g) models per county, as plain arrays for the simulator.

County rows come from the geography layer (`sharemap.ledger.geo.counties()`, which reads
`sharemap/data/geo/counties.csv`: ACS 2019-2023 population and Hispanic population, USDA ERS
foreign-born share; public domain; provenance in `sharemap/data/geo/PROVENANCE.md` and
docs/geography.md). Counties without population are dropped; a missing foreign-born share gets the
population-weighted mean of the county's state.

287(g) models per county come from the ledger: `agreements_by_county` turns the ledger's `Agreement`
objects plus the `agencies` table's placement (agency -> county FIPS, or statewide in a state) into
county FIPS -> models, with the trace's rule (`sharemap.flows.graph.agreements_for_county`): a
statewide agency's Task Force agreement counts in every county of its state, its Jail Enforcement
and Warrant Service agreements do not. Opening the database is left to the edges
(`sharemap.sim.agreements.ledger_agreements`, the CLI, `sharemap.sim.run.simulate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sharemap.errors import NotFoundError
from sharemap.kb.model import Agreement

MODELS = ("JEM", "TFM", "WSO")


@dataclass(frozen=True)
class Counties:
    """Columnar county table (one entry per county, FIPS order)."""

    fips: np.ndarray  # str
    state: np.ndarray  # str, two letters
    name: np.ndarray  # str
    population: np.ndarray  # int64
    hispanic_share: np.ndarray  # float64
    foreign_born_share: np.ndarray  # float64
    foreign_born_imputed: np.ndarray  # bool: state mean used where ERS had no value

    def __len__(self) -> int:
        return len(self.fips)

    def take(self, idx: np.ndarray | Sequence[int]) -> Counties:
        i = np.asarray(idx, dtype=np.int64)
        return Counties(*(getattr(self, f)[i] for f in self.__dataclass_fields__))

    def index(self, fips: str) -> int:
        hit = np.nonzero(self.fips == fips)[0]
        if not len(hit):
            raise NotFoundError(
                f"unknown county FIPS {fips!r}", field="county", expected="a 5-digit county FIPS code"
            )
        return int(hit[0])


def read_counties() -> Counties:
    """The geography layer's county table; counties without population are dropped, a missing
    foreign-born share imputed (state population-weighted mean; the national mean if the state has none)."""
    from sharemap.ledger.geo import counties as geo_counties

    rows = [c for c in geo_counties() if c.population]
    fips = np.array([c.fips for c in rows])
    state = np.array([c.state for c in rows])
    pop = np.array([int(c.population or 0) for c in rows], dtype=np.int64)
    hisp = np.array([int(c.hispanic or 0) for c in rows], dtype=np.float64)
    fb_raw = np.array(
        [c.foreign_born_pct / 100 if c.foreign_born_pct is not None else np.nan for c in rows],
        dtype=np.float64,
    )
    imputed = np.isnan(fb_raw)
    fb = fb_raw.copy()
    for st in np.unique(state[imputed]):
        sel = (state == st) & ~imputed
        if sel.any():
            mean = float(np.average(fb_raw[sel], weights=pop[sel]))
        else:
            ok = ~imputed
            mean = float(np.average(fb_raw[ok], weights=pop[ok]))
        fb[(state == st) & imputed] = mean
    return Counties(
        fips=fips,
        state=state,
        name=np.array([c.name for c in rows]),
        population=pop,
        hispanic_share=np.clip(hisp / np.maximum(pop, 1), 0, 1),
        foreign_born_share=np.clip(fb, 0, 1),
        foreign_born_imputed=imputed,
    )


@lru_cache(maxsize=1)
def counties() -> Counties:
    return read_counties()


def select(table: Counties, *, county: str | None = None, state: str | None = None) -> Counties:
    """Pick one county (FIPS or 'Name, ST'), a state (two letters) or the nation (neither)."""
    if county:
        if county.isdigit():
            return table.take([table.index(county.zfill(5))])
        name, _, st = county.rpartition(",")
        st = st.strip().upper()
        key = name.strip().lower()
        for i in range(len(table)):
            if table.state[i] == st and table.name[i].lower() in (key, f"{key} county", f"{key} parish"):
                return table.take([i])
        raise NotFoundError(
            f"unknown county {county!r}", field="county", expected="a FIPS code or 'Name County, ST'"
        )
    if state:
        st = state.upper()
        idx = np.nonzero(table.state == st)[0]
        if not len(idx):
            raise NotFoundError(f"unknown state {state!r}", field="state", expected="a two-letter state code")
        return table.take(idx)
    return table


@dataclass(frozen=True)
class AgencyPlace:
    """Where the ledger placed an agency (the `agencies` table): a county, or statewide in a state."""

    county_fips: str | None
    statewide: bool
    state: str


def agreements_by_county(
    agreements: Iterable[Agreement],
    agencies: Mapping[str, AgencyPlace],
    county_state: Mapping[str, str],
) -> dict[str, frozenset[str]]:
    """County FIPS -> 287(g) models (JEM, TFM, WSO) in force there, for every county in `county_state`.

    An agreement counts in its agency's county; a statewide agency's agreements count in the counties
    of its state as the trace decides (`sharemap.flows.graph.agreements_for_county`: Task Force yes,
    Jail Enforcement and Warrant Service no). Agencies the ledger could not place count nowhere.
    """
    from sharemap.flows.graph import agreements_for_county

    local: dict[str, list[Agreement]] = {}
    statewide: dict[str, list[Agreement]] = {}
    for a in agreements:
        place = agencies.get(a.agency_id)
        if place is None:
            continue
        if place.county_fips:
            local.setdefault(place.county_fips, []).append(a)
        elif place.statewide:
            statewide.setdefault(place.state, []).append(a)
    out: dict[str, frozenset[str]] = {}
    for fips, st in county_state.items():
        found = agreements_for_county(local.get(fips, ()), statewide.get(st, ()))
        models = frozenset(a.model.short for a in found) & frozenset(MODELS)
        if models:
            out[fips] = models
    return out


def model_flags(table: Counties, models: Mapping[str, Iterable[str]]) -> np.ndarray:
    """Boolean array (county, 3) for JEM, TFM, WSO."""
    flags = np.zeros((len(table), 3), dtype=bool)
    for i, f in enumerate(table.fips):
        have = set(models.get(str(f), ()))
        for j, m in enumerate(MODELS):
            flags[i, j] = m in have
    return flags
