"""Enforcement regimes over time (params/regimes.yaml): dated periods of ICE enforcement policy, from the
Secure Communities rollout (2008) to 2026, each with its sources.

A regime sets two things the kernel reads: the share of bookings whose prints reach IDENT (`coverage`,
the Secure Communities rollout) and ERO's detainer rate per admission relative to FY2012 (`ero_factor`,
estimated from TRAC's annual detainer counts, never from the validation figures). National jail
admissions per year are interpolated between the two BJS figures (a named assumption). A period
(`sim run --from DATE --to DATE`) is split at calendar years and regime boundaries; a bad period (end
before start, before 2008, after the last regime) or an unknown regime is refused with the reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sharemap.errors import DataError, InputError
from sharemap.sim.params import PARAMS_DIR, ParamSet, Reference, read_yaml

REGIMES_FILE = PARAMS_DIR / "regimes.yaml"
ADMISSIONS_2013 = dt.date(2013, 1, 1)  # BJS: year to June 2013 (bookings.national_per_year_2013)
ADMISSIONS_2023 = dt.date(2023, 1, 1)  # BJS: July 2022 - June 2023 (bookings.national_per_year)


@dataclass(frozen=True)
class Estimate:
    """A calibration figure for a regime's ERO factor: detainers counted by TRAC in a period."""

    start: dt.date
    end: dt.date
    detainers: float
    source: str


@dataclass(frozen=True)
class Regime:
    key: str
    name: str
    start: dt.date
    end: dt.date
    references: tuple[Reference, ...]
    estimates: tuple[Estimate, ...] = ()
    ero_factor: float | None = None  # given (the reference regime) or None: estimated
    same_factor_as: str | None = None
    factor_source: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Regimes:
    first_day: dt.date
    last_day: dt.date
    regimes: tuple[Regime, ...]
    coverage_points: tuple[tuple[dt.date, float], ...]  # date, share of jurisdictions activated
    coverage_assumption: str

    def get(self, key: str, file: str = "<scenario>", field: str = "regime") -> Regime:
        for r in self.regimes:
            if r.key == key:
                return r
        raise InputError(
            f"unknown regime {key!r}",
            file=file,
            field=field,
            expected=", ".join(r.key for r in self.regimes),
        )

    def on(self, day: dt.date) -> Regime:
        for r in self.regimes:
            if r.start <= day <= r.end:
                return r
        raise InputError(
            f"{day.isoformat()} is outside the dated regimes ({self.first_day} to {self.last_day})",
            field="date",
            expected=f"a date from {self.first_day} to {self.last_day}",
        )

    def coverage(self, day: dt.date) -> float:
        """Share of bookings whose prints reach IDENT on `day` (linear between the dated counts)."""
        pts = self.coverage_points
        if day <= pts[0][0]:
            return pts[0][1]
        for (d0, v0), (d1, v1) in itertools.pairwise(pts):
            if d0 <= day <= d1:
                return v0 + (v1 - v0) * (day - d0).days / max((d1 - d0).days, 1)
        return pts[-1][1]


def _day(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DataError(
            f"not a date: {value!r}", file=REGIMES_FILE, field=field, expected="YYYY-MM-DD"
        ) from None


def _regime(key: str, raw: Mapping[str, Any]) -> Regime:
    refs = []
    for i, r in enumerate(raw.get("reference") or []):
        if not isinstance(r, Mapping) or not r.get("title") or not r.get("url") or not r.get("date"):
            raise DataError(
                "a regime's source needs a title, a url and a date",
                file=REGIMES_FILE,
                field=f"regimes.{key}.reference[{i}]",
            )
        refs.append(Reference(f"{r['title']} ({r['date']})", str(r["url"])))
    if not refs:
        raise DataError("regime has no source", file=REGIMES_FILE, field=f"regimes.{key}")
    estimates = tuple(
        Estimate(
            _day(e["period"][0], f"regimes.{key}.estimate"),
            _day(e["period"][1], f"regimes.{key}.estimate"),
            float(e["detainers"]),
            str(e["source"]),
        )
        for e in raw.get("estimate") or []
    )
    factor = raw.get("ero_factor")
    if factor is None and not estimates and not raw.get("same_factor_as"):
        raise DataError(
            "regime has no ERO factor, estimate or same_factor_as", file=REGIMES_FILE, field=f"regimes.{key}"
        )
    source = str(raw.get("ero_factor_source") or "; ".join(e.source for e in estimates))
    return Regime(
        key,
        str(raw["name"]),
        _day(raw["from"], f"regimes.{key}.from"),
        _day(raw["to"], f"regimes.{key}.to"),
        tuple(refs),
        estimates,
        float(factor) if factor is not None else None,
        raw.get("same_factor_as"),
        source,
        raw.get("note"),
    )


@lru_cache(maxsize=1)
def load_regimes() -> Regimes:
    """The shipped regimes; consecutive, without gaps, from meta.first_day to meta.last_day."""
    data = read_yaml(REGIMES_FILE)
    meta = data["meta"]
    planned = float(meta["jurisdictions_planned"])
    points = tuple(
        (_day(p["date"], "coverage"), min(1.0, float(p["jurisdictions"]) / planned)) for p in data["coverage"]
    )
    regimes = tuple(_regime(k, v) for k, v in data["regimes"].items())
    out = Regimes(
        _day(meta["first_day"], "meta.first_day"),
        _day(meta["last_day"], "meta.last_day"),
        regimes,
        points,
        " ".join(str(data.get("coverage_assumption", "")).split()),
    )
    day = out.first_day
    for r in regimes:
        if r.start != day or r.end < r.start:
            raise DataError(
                f"regime {r.key} starts {r.start}, expected {day} (regimes must follow each other)",
                file=REGIMES_FILE,
                field=f"regimes.{r.key}.from",
            )
        day = r.end + dt.timedelta(days=1)
    if day - dt.timedelta(days=1) != out.last_day:
        raise DataError("the last regime must end on meta.last_day", file=REGIMES_FILE, field="regimes")
    return out


def national_admissions(params: ParamSet, day: dt.date) -> float:
    """Jail admissions per year on `day`: the BJS figure for 2013 before 2013, the 2022-23 figure from
    2023, linear in between (assumption: no yearly BJS series is in the research notes)."""
    a13, a23 = params["bookings.national_per_year_2013"], params["bookings.national_per_year"]
    if day <= ADMISSIONS_2013:
        return a13
    if day >= ADMISSIONS_2023:
        return a23
    t = (day - ADMISSIONS_2013).days / (ADMISSIONS_2023 - ADMISSIONS_2013).days
    return a13 + (a23 - a13) * t


def _admission_years(params: ParamSet, start: dt.date, end: dt.date) -> float:
    """Admissions in [start, end] (monthly steps of the interpolated yearly rate)."""
    total, day = 0.0, start
    while day <= end:
        nxt = min(end, day + dt.timedelta(days=30))
        days = (nxt - day).days + 1
        total += national_admissions(params, day + (nxt - day) / 2) * days / 365.25
        day = nxt + dt.timedelta(days=1)
    return total


def ero_factors(params: ParamSet, regimes: Regimes | None = None) -> dict[str, float]:
    """Each regime's detainers per admission relative to FY2012, solved regime by regime: an estimate's
    detainers are the FY2012 rate x admissions x the factor of whichever regime each day falls in."""
    regs = regimes or load_regimes()
    rate = 276181.0 / _admission_years(params, dt.date(2011, 10, 1), dt.date(2012, 9, 30))  # TRAC 511, FY2012
    factors: dict[str, float] = {}
    for r in regs.regimes:
        if r.ero_factor is not None:
            factors[r.key] = r.ero_factor
        elif r.same_factor_as is not None:
            factors[r.key] = factors[regs.get(r.same_factor_as, str(REGIMES_FILE)).key]
        else:
            vals = []
            for e in r.estimates:
                known = unknown = 0.0
                for other in regs.regimes:
                    lo, hi = max(e.start, other.start), min(e.end, other.end)
                    if lo > hi:
                        continue
                    adm = _admission_years(params, lo, hi) * rate
                    if other.key == r.key:
                        unknown += adm
                    else:
                        known += adm * factors[other.key]
                vals.append((e.detainers - known) / unknown)
            factors[r.key] = sum(vals) / len(vals)
    return factors


@dataclass(frozen=True)
class Slice:
    """Part of a simulated period inside one calendar year and one regime."""

    year: int
    start: dt.date
    end: dt.date
    regime: str

    @property
    def years(self) -> float:
        return ((self.end - self.start).days + 1) / 365.25


def check_period(start: dt.date, end: dt.date, regime: str | None = None, file: str = "<period>") -> None:
    """Refuse a period that ends before it starts, begins before the first regime (2008) or ends after
    the last one, and a regime name that is not in regimes.yaml."""
    regs = load_regimes()
    if end < start:
        raise InputError(
            f"the period ends ({end}) before it starts ({start})",
            file=file,
            field="to",
            expected="to >= from",
        )
    if start < regs.first_day:
        raise InputError(
            f"{start} is before {regs.first_day}: the dated regimes begin with Secure Communities in 2008",
            file=file,
            field="from",
            expected=f"a date from {regs.first_day}",
        )
    if end > regs.last_day:
        raise InputError(
            f"{end} is after the last dated regime ends ({regs.last_day})",
            file=file,
            field="to",
            expected=f"a date up to {regs.last_day}",
        )
    if regime is not None:
        regs.get(regime, file)


def slices(start: dt.date, end: dt.date, regime: str | None = None) -> list[Slice]:
    """The period cut at calendar years and regime boundaries (one regime throughout if one is named)."""
    check_period(start, end, regime)
    regs = load_regimes()
    out: list[Slice] = []
    day = start
    while day <= end:
        cur = regs.get(regime) if regime else regs.on(day)
        stop = min(end, dt.date(day.year, 12, 31), cur.end if regime is None else end)
        out.append(Slice(day.year, day, stop, cur.key))
        day = stop + dt.timedelta(days=1)
    return out
