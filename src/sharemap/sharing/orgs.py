"""Who an organisation on a plate-reader sharing list is: its kind and its state, read from the name.

Vendor lists name organisations by a loose convention ("Houston TX PD", "Las Vegas Metro Police
Department - NV", "KS - Meade County SO", "Arlington PD (WA)", "Los Angeles County CA SD", "[Federal]
...", "... [Inactive]"). The resolver reads only what the name says, in a fixed order of rules, and
records which rule decided; what the name does not say is `unknown` with the reason, never guessed.
A registry of agencies (the portal archive's, with geography) places names it lists in a county or
place and supplies the state when the name has none; it is evidence, kept apart in `basis`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from sharemap.kb.jurisdictions import codes, jurisdictions
from sharemap.settings import DATA_DIR

FEDERAL = "US"


class OrgKind(StrEnum):
    POLICE = "police"
    SHERIFF = "sheriff"
    STATE_AGENCY = "state_agency"
    FEDERAL = "federal"
    FEDERAL_IMMIGRATION = "federal_immigration"
    PROSECUTOR = "prosecutor"
    CAMPUS = "campus"
    FUSION_CENTRE = "fusion_centre"
    TRIBAL = "tribal"
    PRIVATE = "private"
    UNKNOWN = "unknown"


class Reach(StrEnum):
    """Where an organisation sits relative to the agency that shares with it."""

    IN_STATE = "in_state"
    OUT_OF_STATE = "out_of_state"
    FEDERAL = "federal"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Org:
    """One organisation name as resolved. state: a two-letter code, "US" for federal, None if unknown."""

    name: str
    kind: OrgKind
    state: str | None
    inactive: bool
    basis: str
    """How the state was read: "name code", "name state", "federal", "registry", or why it is unknown."""
    county_fips: str | None = None
    place_fips: str | None = None

    def reach(self, home_state: str) -> Reach:
        if self.kind in (OrgKind.FEDERAL, OrgKind.FEDERAL_IMMIGRATION) or self.state == FEDERAL:
            return Reach.FEDERAL
        if self.state is None:
            return Reach.UNKNOWN
        return Reach.IN_STATE if self.state == home_state else Reach.OUT_OF_STATE


@dataclass(frozen=True, slots=True)
class Placed:
    """What a registry knows of a name: state and, when known, county and place FIPS."""

    state: str
    county_fips: str | None
    place_fips: str | None


STATE_CODES = codes()
_STATE_NAMES = sorted(((j.name, j.code) for j in jurisdictions()), key=lambda x: -len(x[0]))
# agency-type abbreviations: one of these at the end, after a state code, is not a state
# ("Los Angeles County CA SD" is the Los Angeles County sheriff's department in California).
_SUFFIXES = frozenset(["PD", "SO", "SD", "DPS", "DA", "PS", "DOC", "DOJ", "HP", "SP", "FD"])
_INACTIVE = re.compile(r"\s*[\[(]\s*(inactive|deactivated|disabled|turned off)\s*[\])]\s*", re.IGNORECASE)
_FEDERAL_TAG = re.compile(r"\s*\[\s*federal\s*\]\s*", re.IGNORECASE)
# the vendor's category tag ("[Law Enforcement]") says what list the name is on, not what body it is
_CATEGORY_TAG = re.compile(r"\s*\[\s*law enforcement\s*\]\s*", re.IGNORECASE)
# the vendor's own demo and test accounts: no agency at all
_VENDOR_ACCOUNT = re.compile(r"^(flock\b|demo\b)|\bdemo$|\[?deactivated\]? - demo", re.IGNORECASE)
_BRACKETED_CODE = re.compile(r"\(([A-Z]{2})\)")
_TRAILING_CODE = re.compile(r"(?:\s+-\s*|\s*\(\s*|,\s*)([A-Z]{2})\s*\)?\s*$")
_LEADING_CODE = re.compile(r"^([A-Z]{2})\s*-\s*")

_KIND_RULES: tuple[tuple[OrgKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            OrgKind.FEDERAL_IMMIGRATION,
            r"\b((?-i:ICE|HSI|ERO|CBP|USBP|USCIS)|border patrol|immigration and customs|homeland security "
            r"investigations|customs and border|enforcement and removal)\b",
        ),
        (
            OrgKind.FEDERAL,
            r"\b(FBI|DEA|ATF|USPIS|USMS|NCIS|AFOSI|TIGTA|federal bureau|drug enforcement administration|"
            r"postal inspection|postal service|us marshals?|u\.s\. marshals?|united states marshals?|"
            r"secret service|bureau of alcohol|us attorney|u\.s\. attorney|department of homeland|"
            r"national park service|us forest service|bureau of land management|federal protective|"
            r"us army|u\.s\. army|us navy|air force|coast guard|veterans affairs|amtrak)\b",
        ),
        (
            OrgKind.FUSION_CENTRE,
            r"\b(fusion|regional intelligence|intelligence center|NCRIC|RTIC|JRIC|STIC|RISS|MOCIC|ROCIC|"
            r"RMIN|WSIN|MAGLOCLEN|NESPIN|information network|crime analysis cent(er|re)s?)\b",
        ),
        (
            OrgKind.TRIBAL,
            r"\b(tribal|tribe|tribes|rancheria|band of|pueblo|indian community|nation|lighthorse)\b",
        ),
        (
            OrgKind.PROSECUTOR,
            r"\b(district attorney|DA'?s office|DAO|prosecut\w*|state'?s attorney|county attorney|"
            r"commonwealth'?s attorney|solicitor|DA'?s|DA office)\b|\bDA\b",
        ),
        (
            OrgKind.CAMPUS,
            r"\b(university|univ|college|school district|schools|ISD|USD|campus|CSU|UC [A-Z]|academy|"
            r"cal state)\b",
        ),
        (
            OrgKind.PRIVATE,
            r"\b(inc|llc|corp|corporation|company|HOA|homeowners|association|apartments?|property|"
            r"properties|management|mall|lowe'?s|home depot|walmart|target corp|kroger|simon|"
            r"security services|bank|hotel|casino resort|corporate|autobody|auto body|neighbou?rhood watch|"
            r"consulting)\b|\w marina\b|country club\s*(\(|$)",
        ),
        (
            OrgKind.SHERIFF,
            r"\b(SO|sheriff'?s?|sheriffs|SSD|LASD)\b|\bSD$|\bSD\b(?=\s*(\(|-|\[|$))|"
            r"^city of [^(]+\([A-Z]+SO\)",  # "City of Half Moon Bay (SMCSO)": policed by the sheriff
        ),
        (
            OrgKind.STATE_AGENCY,
            r"\b(highway patrol|state police|state patrol|CHP|BCA|bureau of criminal apprehension|"
            r"state university police|attorney general|homeland security|office of emergency|"
            r"department of justice|DOJ|bureau of investigation|division of criminal investigation|"
            r"department of (motor|revenue|corrections|transportation|fish|natural|child safety)|DMV|parole|"
            r"probation|game warden|cal fire|"
            r"wildlife|state parks|lottery|alcoholic beverage|gaming|state fire marshal|department of "
            r"insurance|national guard)\b",
        ),
        (
            OrgKind.POLICE,
            r"\b(PD|police|DPS|public safety|marshal'?s office|town marshal|city marshal|constable|MPD|CPD|"
            r"law enforcement|precinct|real time crime|RTCC|crime center|transit)\b",
        ),
    )
)
# a state's name inside a name ("Modoc County California Sheriffs Office", "Univ. of Texas - Tyler PD"),
# unless it is part of a place's name ("Washington County", "Kansas City", "Virginia Beach")
_STATE_WORD = re.compile(
    r"\b(?P<state>" + "|".join(re.escape(n) for n, _ in _STATE_NAMES) + r")\b(?!\s+(county|city|township|"
    r"parish|beach|village|springs|heights|park|borough|town)\b)",
    re.IGNORECASE,
)
# a Department of Public Safety or Attorney General is a state agency only when a state names it
_STATE_LEVEL = re.compile(
    r"^(state of )?(?P<state>" + "|".join(re.escape(n) for n, _ in _STATE_NAMES) + r")\b", re.IGNORECASE
)


def _clean(name: str) -> tuple[str, bool, bool]:
    inactive = bool(_INACTIVE.search(name))
    text = _INACTIVE.sub(" ", name)
    federal_tag = bool(_FEDERAL_TAG.search(text))
    text = _CATEGORY_TAG.sub(" ", _FEDERAL_TAG.sub(" ", text))
    return re.sub(r"\s+", " ", text).strip(" -,"), inactive, federal_tag


def _state_from_code(text: str) -> str | None:
    """A state code written in the name, by the vendor's conventions."""
    m = _LEADING_CODE.match(text)
    if m and m.group(1) in STATE_CODES:
        return m.group(1)
    m = _TRAILING_CODE.search(text)  # set off by " - ", "(...)" or ", ": always the state
    if m and m.group(1) in STATE_CODES:
        return m.group(1)
    m = _BRACKETED_CODE.search(text)  # "Orange County (NY) District Attorney's Office"
    if m and m.group(1) in STATE_CODES:
        return m.group(1)
    tokens = text.replace(",", " ").split()
    codes = [i for i, t in enumerate(tokens) if t in STATE_CODES and (i > 0 or _leads_state(tokens))]
    last = len(tokens) - 1
    if len(codes) > 1 and codes[-1] == last and tokens[last] in _SUFFIXES:
        codes.pop()  # "Los Angeles County CA SD": SD is the sheriff's department, CA the state
    return tokens[codes[-1]] if codes else None


def _leads_state(tokens: list[str]) -> bool:
    """A leading code is a state only before an agency acronym or word ("MN BCA", "CA DOJ"), not
    before a place ("LA County" is Los Angeles)."""
    if len(tokens) < 2:
        return False
    nxt = tokens[1]
    return (nxt.isupper() and len(nxt) >= 2) or nxt in (
        "State",
        "Department",
        "Dept",
        "Highway",
        "Bureau",
        "Office",
    )


def _kind(text: str, federal_tag: bool) -> OrgKind:
    if _VENDOR_ACCOUNT.search(text):
        return OrgKind.UNKNOWN
    if federal_tag and not _KIND_RULES[0][1].search(text):
        return OrgKind.FEDERAL  # the vendor's "[Federal]" tag
    for kind, pattern in _KIND_RULES:
        if pattern.search(text):
            if kind is OrgKind.FEDERAL and _STATE_LEVEL.match(text):
                return OrgKind.STATE_AGENCY  # "Georgia Department of Veterans Affairs"
            if (
                kind is OrgKind.POLICE
                and _STATE_LEVEL.match(text)
                and re.search(r"\b(public safety|DPS)\b", text, re.IGNORECASE)
            ):
                return OrgKind.STATE_AGENCY  # "Arizona Department of Public Safety", "Texas DPS"
            return kind
    return OrgKind.FEDERAL if federal_tag else OrgKind.UNKNOWN


def resolve(name: str, registry: dict[str, Placed] | None = None) -> Org:
    """Resolve one organisation name (pure: the same name and registry give the same answer)."""
    text, inactive, federal_tag = _clean(name)
    code = _state_from_code(text)
    kind = _kind(text[:-3] if code == "SD" and text.endswith(" SD") else text, federal_tag)
    placed = (registry or {}).get(name_key(name)) or (registry or {}).get(name_key(text))
    county = placed.county_fips if placed else None
    place = placed.place_fips if placed else None
    if kind in (OrgKind.FEDERAL, OrgKind.FEDERAL_IMMIGRATION):
        return Org(name, kind, FEDERAL, inactive, "federal", county, place)
    if code is not None:
        return Org(name, kind, code, inactive, "name code", county, place)
    m = _STATE_WORD.search(text)
    if m:
        state = next(abbr for n, abbr in _STATE_NAMES if n.lower() == m.group("state").lower())
        return Org(name, kind, state, inactive, "name state", county, place)
    if placed is not None:
        return Org(name, kind, placed.state, inactive, "registry", county, place)
    unique = _unique_place_state(text) if kind in (OrgKind.POLICE, OrgKind.SHERIFF) else None
    if unique is not None:
        return Org(name, kind, unique, inactive, "the only state with a place of this name", county, place)
    return Org(name, kind, None, inactive, "the name gives no state code or state name", county, place)


_AGENCY_WORDS = re.compile(
    r"\b(police department|police dept|police|PD|department of public safety|DPS|sheriff'?s? office|"
    r"sheriff'?s? department|sheriff|SO|city of|town of|village of|the)\b\.?",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _places() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """The Census places table, read once: base names ("benicia", "south san francisco") to the
    states they are in, and place FIPS to county FIPS."""
    states: dict[str, set[str]] = {}
    counties: dict[str, str] = {}
    with (DATA_DIR / "geo" / "places.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            base = re.sub(r"\s+(city|town|village|borough|CDP|municipality|township)$", "", row["name"])
            states.setdefault(name_key(base), set()).add(row["state"])
            if row["county_fips"]:
                counties[row["geoid"]] = row["county_fips"]
    return {k: frozenset(v) for k, v in states.items()}, counties


def place_county(place_fips: str) -> str | None:
    """The county of a Census place (its primary county), or None."""
    return _places()[1].get(place_fips)


def _unique_place_state(text: str) -> str | None:
    """The state of a police or sheriff's name whose place exists in one state only (by the Census)."""
    locality = name_key(_AGENCY_WORDS.sub(" ", text))
    states = _places()[0].get(locality) if locality else None
    return next(iter(states)) if states is not None and len(states) == 1 else None


def name_key(name: str) -> str:
    """The form names are matched in: case, punctuation and spacing folded, inactive tags removed."""
    text = _INACTIVE.sub(" ", name).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class Known(Protocol):
    """Names already resolved with the same registry (`sharemap.sharing.index.KnownOrgs`)."""

    def get(self, name: str) -> Org | None: ...


class Resolver:
    """`resolve` with one registry, memoised: sharing lists repeat the same names many times.
    `known`: names already resolved with the same registry (the shipped index of them), so a process
    need not resolve them again."""

    def __init__(
        self,
        registry: dict[str, Placed] | None = None,
        known: Known | None = None,
        load_registry: Callable[[], dict[str, Placed]] | None = None,
    ) -> None:
        self._registry = registry
        self._load_registry = load_registry  # read on the first name that `known` does not hold
        self._known = known
        self._seen: dict[str, Org] = {}

    @property
    def registry(self) -> dict[str, Placed]:
        if self._registry is None:
            self._registry = self._load_registry() if self._load_registry else {}
        return self._registry

    def __call__(self, name: str) -> Org:
        org = self._seen.get(name)
        if org is None:
            known = self._known.get(name) if self._known is not None else None
            org = self._seen[name] = known or resolve(name, self.registry)
        return org
