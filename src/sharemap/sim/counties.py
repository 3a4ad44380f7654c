"""County composition and 287(g) models per county, as plain arrays for the simulator.

County rows come from `sim/data/counties.csv` (a copy of ../shared/reference/county/counties.csv:
ACS 2019-2023 population and Hispanic population, USDA ERS foreign-born share; public domain; see
sim/data/PROVENANCE.md). 287(g) models per county come from the ledger when it is available
(`agreements_by_county` accepts kb Agreement objects plus an agency -> county map), otherwise from
`sim/data/agreements_287g.csv`, extracted from ICE's participating-agencies list of 2025-12-31.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from sharemap.errors import InputError, NotFoundError

DATA_DIR = Path(__file__).resolve().parent / "data"
COUNTIES_CSV = DATA_DIR / "counties.csv"
AGREEMENTS_CSV = DATA_DIR / "agreements_287g.csv"
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


def read_counties(path: Path = COUNTIES_CSV) -> Counties:
    """Read the county file; counties without population are dropped, missing foreign-born imputed."""
    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise InputError("county file not found", file=path) from exc
    rows = [r for r in rows if r.get("population_acs2023")]
    fips = np.array([r["fips"] for r in rows])
    state = np.array([r["state"] for r in rows])
    pop = np.array([int(r["population_acs2023"]) for r in rows], dtype=np.int64)
    hisp = np.array([int(r["hispanic_acs2023"] or 0) for r in rows], dtype=np.float64)
    fb_raw = np.array(
        [float(r["foreign_born_pct_ers"]) / 100 if r["foreign_born_pct_ers"] else np.nan for r in rows]
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
        name=np.array([r["name"] for r in rows]),
        population=pop,
        hispanic_share=np.clip(hisp / np.maximum(pop, 1), 0, 1),
        foreign_born_share=np.clip(fb, 0, 1),
        foreign_born_imputed=imputed,
    )


@lru_cache(maxsize=2)
def counties(path: Path = COUNTIES_CSV) -> Counties:
    return read_counties(path)


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


def read_agreement_models(path: Path = AGREEMENTS_CSV) -> dict[str, set[str]]:
    """County FIPS -> set of 287(g) models (JEM, TFM, WSO) held by an agency mapped to that county."""
    out: dict[str, set[str]] = {}
    try:
        reader = csv.DictReader(path.open(encoding="utf-8"))
        for row in reader:
            if row.get("fips"):
                out.setdefault(row["fips"], set()).add(row["model"])
    except FileNotFoundError as exc:
        raise InputError("287(g) agreements file not found", file=path) from exc
    return out


def agreements_by_county(
    agreements: Iterable[object], agency_county: Mapping[str, str]
) -> dict[str, set[str]]:
    """Map ledger Agreement objects (kb.model.Agreement) to county FIPS -> models, given agency -> FIPS."""
    short = {"jail_enforcement_model": "JEM", "task_force_model": "TFM", "warrant_service_officer": "WSO"}
    out: dict[str, set[str]] = {}
    for a in agreements:
        fips = agency_county.get(str(getattr(a, "agency_id", "")))
        model = short.get(str(getattr(a, "model", "")), str(getattr(a, "model", "")))
        if fips and model in MODELS:
            out.setdefault(fips, set()).add(model)
    return out


def model_flags(table: Counties, models: Mapping[str, set[str]]) -> np.ndarray:
    """Boolean array (county, 3) for JEM, TFM, WSO."""
    flags = np.zeros((len(table), 3), dtype=bool)
    for i, f in enumerate(table.fips):
        have = models.get(str(f), set())
        for j, m in enumerate(MODELS):
            flags[i, j] = m in have
    return flags
