"""The one list of US jurisdictions: the 50 states, the District of Columbia and the five inhabited
territories, with their USPS codes, names and FIPS codes (`kb/data/jurisdictions.csv`).

Every layer reads states from here: the geography's state names and codes, the law layer's
jurisdictions, the sharing layer's state codes. A plain table, so that naming a state costs no import
of a geography library.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from typing import Literal

from sharemap.kb.model import Source
from sharemap.settings import PACKAGE_DIR

JurisdictionKind = Literal["state", "district", "territory"]

FEDERAL = "US"
"""The code of the federal layer of law (and of the nation as a place)."""

LAW_TERRITORIES: frozenset[str] = frozenset({"PR"})
"""Territories whose law the law layer has researched; the other territories' rulings are unknown."""

SOURCES = (
    Source(
        title="ANSI and FIPS codes: states and outlying areas (INCITS 38, which replaced FIPS PUB 5-2 "
        "on 2008-09-02)",
        url="https://www.census.gov/library/reference/code-lists/ansi.html",
        publisher="U.S. Census Bureau",
        note="codes transcribed through the `us` Python package (us==4.0.0); date of the page not recorded",
    ),
    Source(
        title="Publication 28, Appendix B: two-letter state and possession abbreviations",
        url="https://pe.usps.com/text/pub28/28apb.htm",
        publisher="U.S. Postal Service",
        note="date of the page not recorded",
    ),
)
"""Where the codes come from (`tests/kb/test_jurisdictions.py` also checks them against the Census
county table shipped in `data/`)."""


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    """USPS code: 'TX', 'DC', 'PR'."""
    name: str
    fips: str
    """Two-digit FIPS state code: '48'."""
    kind: JurisdictionKind


@cache
def jurisdictions() -> tuple[Jurisdiction, ...]:
    """Every state, DC and inhabited territory, by name."""
    path = PACKAGE_DIR / "kb" / "data" / "jurisdictions.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [Jurisdiction(r["code"], r["name"], r["fips"], r["kind"]) for r in csv.DictReader(f)]  # type: ignore[arg-type]
    return tuple(sorted(rows, key=lambda j: j.name))


@cache
def codes() -> frozenset[str]:
    """USPS codes of every state, DC and inhabited territory."""
    return frozenset(j.code for j in jurisdictions())


@cache
def _by_code() -> dict[str, Jurisdiction]:
    return {j.code: j for j in jurisdictions()}


def jurisdiction(code: str) -> Jurisdiction | None:
    """The jurisdiction with this USPS code (any case), or None."""
    return _by_code().get(code.strip().upper())


def name_of(code: str) -> str:
    """'Texas' for 'TX'; the code itself when it names no jurisdiction."""
    found = jurisdiction(code)
    return found.name if found else code


def law_jurisdictions() -> tuple[str, ...]:
    """The codes the law layer rules for: the federal layer first, then the states and DC by name, then
    the researched territories."""
    local = [j for j in jurisdictions() if j.kind != "territory"]
    researched = [j for j in jurisdictions() if j.code in LAW_TERRITORIES]
    return (FEDERAL, *(j.code for j in local), *(j.code for j in researched))
