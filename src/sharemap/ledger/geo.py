"""Geography: place every agency on ICE's 287(g) lists in its state and county (FIPS).

Three shipped tables, all in ``sharemap/data/geo/`` with their provenance in ``PROVENANCE.md`` there
and in ``docs/geography.md``:

- ``counties.csv``: the 3,144 counties and county equivalents with DC (Louisiana parishes, Alaska
  boroughs and census areas, Virginia's independent cities, Connecticut's planning regions) with
  population, Hispanic and foreign-born counts.
- ``places.csv``: every Census place (incorporated places and CDPs, 2025 Gazetteer) with its primary
  county and every county it reaches (USGS GNIS), and every active county subdivision (townships,
  New England towns) with the county its Census code nests in.
- the state table comes from the pinned ``us`` package (names, USPS codes, FIPS, territories).

The one entry point for the ledger is :func:`locate`; it never guesses silently. Each
:class:`Placement` says which method placed the agency, or why it could not be placed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Final, Literal, NamedTuple, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from sharemap.errors import DataError, InputError, NotFoundError
from sharemap.kb.jurisdictions import codes, jurisdictions, name_of
from sharemap.kb.model import AgencyKind, Frozen
from sharemap.settings import DATA_DIR

GEO_DIR: Final = DATA_DIR / "geo"
COUNTIES_FILE: Final = GEO_DIR / "counties.csv"
PLACES_FILE: Final = GEO_DIR / "places.csv"

Method = Literal[
    "county in agency name",
    "county column",
    "place table",
    "statewide agency",
    "territory-wide agency",
]

MISSING_VALUES: Final = frozenset({"", "#N/A", "N/A", "#NA", "NA", "-", "NONE", "NULL", "TBD"})
"""Values ICE puts in the COUNTY or TYPE column that mean 'no value'."""


class County(Frozen):
    """A county or county equivalent, as in counties.csv."""

    fips: str
    name: str
    state: str
    unit_type: str
    population: int | None = None
    hispanic: int | None = None
    foreign_born: int | None = None
    foreign_born_pct: float | None = None

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


class Placement(Frozen):
    """Where one agency sits: a county, the whole state, or nowhere (with the reason).

    ``method`` says how the county was found; ``reason`` says why it was not (then ``county_fips``
    is None and ``statewide`` False). ``spans_counties`` lists every county a place reaches when the
    agency was placed through a place that crosses county lines; ``county_fips`` is then its primary
    county. ``note`` records anything a reader should know (a fuzzy match, a headquarters county).
    """

    state: str
    kind: AgencyKind
    county_fips: str | None = None
    county_name: str | None = None
    statewide: bool = False
    method: Method | None = None
    reason: str | None = None
    place_geoid: str | None = None
    place_name: str | None = None
    spans_counties: tuple[str, ...] = ()
    note: str | None = None

    @property
    def mapped(self) -> bool:
        return self.county_fips is not None or self.statewide


# --------------------------------------------------------------------------- text normalisation

_ABBREV: Final = (
    (re.compile(r"\bste\.?(?=\s)"), "sainte"),
    (re.compile(r"\bst\.?(?=\s)"), "saint"),
    (re.compile(r"\bft\.?(?=\s)"), "fort"),
    (re.compile(r"\bmt\.?(?=\s)"), "mount"),
    (re.compile(r"\bpt\.?(?=\s)"), "point"),
)


def _fold(text: str) -> str:
    """Lower case, accents removed, '&' spelt out, whitespace collapsed; keeps letters and spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("’", "'")
    text = re.sub(r"[^a-z0-9' .\-/]", " ", text)
    return " ".join(text.split())


def name_key(text: str) -> str:
    """Comparison key for county and place names: 'St. Mary's' == 'Saint Marys' == 'saintmarys'."""
    text = _fold(text) + " "
    for pattern, repl in _ABBREV:
        text = pattern.sub(repl, text)
    return re.sub(r"[^a-z0-9]", "", text)


# --------------------------------------------------------------------------- states

_TERRITORY_ALIASES: Final = {"CNMI": "MP", "USVI": "VI"}


@lru_cache(maxsize=1)
def _state_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for j in jurisdictions():
        names[name_key(j.name)] = j.code
    return names


def state_codes() -> frozenset[str]:
    """USPS codes of every state, DC and territory."""
    return codes()


def state_code(raw: str) -> str:
    """USPS code of a state or territory given as a name, code or FIPS ('ALABAMA', 'Guam ', 'AL', '01').

    ICE's lists misspell a few states ('PENNSLYVANIA', 'WEST VIRIGINA', 'MCHIGAN', 'UTAHJ'): a name
    within two edits (one for names of six letters or fewer) of exactly one state is accepted.
    """
    text = " ".join(str(raw).split())
    if not text:
        raise InputError("empty state", field="state", expected="a US state or territory name or code")
    upper = text.upper().replace(".", "")
    if upper in codes():
        return upper
    if upper in _TERRITORY_ALIASES:
        return _TERRITORY_ALIASES[upper]
    if upper.isdigit():
        for j in jurisdictions():
            if j.fips == upper.zfill(2):
                return j.code
    key = name_key(text.removeprefix("State of ").removeprefix("STATE OF "))
    names = _state_names()
    if key in names:
        return names[key]
    limit = 1 if len(key) <= 6 else 2
    scored = sorted((Levenshtein.distance(key, k), abbr) for k, abbr in names.items())
    if scored and scored[0][0] <= limit and (len(scored) == 1 or scored[1][0] > scored[0][0]):
        return scored[0][1]
    raise InputError(
        f"unknown state {raw!r}", field="state", expected="a US state or territory name, USPS code or FIPS"
    )


# --------------------------------------------------------------------------- counties

_UNIT_RE: Final = re.compile(
    r"\s+(city and borough|census area|planning region|municipality|borough|parish|county|couny|conty|"
    r"cnty|co\.?|city)$"
)


def _split_unit(text: str) -> tuple[str, str | None]:
    """'Prince George's County' -> ("prince george's", 'county'); 'Hopewell' -> ('hopewell', None)."""
    folded = _fold(text)
    folded = re.sub(r"^(the\s+)?(city and county of|county of|parish of|city of)\s+", "", folded)
    match = _UNIT_RE.search(folded)
    if not match:
        return folded, None
    unit = match.group(1)
    if unit in {"couny", "conty", "cnty", "co", "co."}:
        unit = "county"
    return folded[: match.start()], unit


def _county_unit(c: County) -> str:
    t = c.unit_type.lower()
    if t == "independent city":
        return "city"
    if t in {"county", "parish", "borough", "census area", "city and borough", "municipality"}:
        return t
    if t == "ct planning region":
        return "planning region"
    return "county"


@lru_cache(maxsize=1)
def _load_counties() -> tuple[County, ...]:
    path = COUNTIES_FILE
    if not path.exists():
        raise DataError(
            "shipped county table missing", file=path, expected="counties.csv in sharemap/data/geo"
        )

    def num(v: str) -> int | None:
        return int(float(v)) if v.strip() else None

    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            if not row["name"] or not row["state"]:
                continue  # retired FIPS codes kept in the source only for foreign-born figures
            try:
                out.append(
                    County(
                        fips=row["fips"],
                        name=row["name"],
                        state=row["state"],
                        unit_type=row["unit_type"],
                        population=num(row["population_acs2023"]),
                        hispanic=num(row["hispanic_acs2023"]),
                        foreign_born=num(row["foreign_born_ers"]),
                        foreign_born_pct=float(row["foreign_born_pct_ers"])
                        if row["foreign_born_pct_ers"]
                        else None,
                    )
                )
            except (ValueError, KeyError) as exc:
                raise DataError(f"bad county row: {exc}", file=path, row=i) from exc
    return tuple(out)


@lru_cache(maxsize=1)
def _county_index() -> dict[str, dict[str, list[County]]]:
    """state -> base-name key (unit word removed) -> counties with that base name."""
    index: dict[str, dict[str, list[County]]] = {}
    for c in _load_counties():
        base, _ = _split_unit(c.name)
        index.setdefault(c.state, {}).setdefault(name_key(base), []).append(c)
    return index


@lru_cache(maxsize=1)
def _county_by_fips() -> dict[str, County]:
    return {c.fips: c for c in _load_counties()}


def counties() -> list[County]:
    """Every county and county equivalent in the shipped table, in FIPS order."""
    return sorted(_load_counties(), key=lambda c: c.fips)


def _pick_by_unit(cands: list[County], unit: str | None) -> County | None:
    if len(cands) == 1:
        return cands[0]
    if unit == "city":
        cities = [c for c in cands if _county_unit(c) == "city"]
        return cities[0] if len(cities) == 1 else None
    non_city = [c for c in cands if _county_unit(c) != "city"]
    return non_city[0] if len(non_city) == 1 else None


def _match_county(state: str, text: str, *, fuzzy: bool = True) -> tuple[County | None, str | None]:
    """The county of `state` that `text` names, and a note when the match was not exact."""
    by_key = _county_index().get(state)
    if not by_key:
        return None, None
    base, unit = _split_unit(text)
    key = name_key(base)
    if not key:
        return None, None
    if key in by_key:
        return _pick_by_unit(by_key[key], unit), None
    if not fuzzy or len(key) < 4:
        return None, None
    best = process.extract(key, list(by_key), scorer=fuzz.ratio, limit=2)
    if best and best[0][1] >= 85 and (len(best) == 1 or best[1][1] < best[0][1]):
        chosen = _pick_by_unit(by_key[best[0][0]], unit)
        if chosen is not None:
            return chosen, f"{text.strip()!r} read as {chosen.name} (spelling corrected)"
    return None, None


DOMINANT_RATIO: Final = 10
"""A name shared by several places reads as the most populous one when it has at least ten times the
people of the next ('harris' is Harris County, TX, 4.7 million, not Harris County, GA, 35,000)."""

_T = TypeVar("_T")


def dominant(ranked: Sequence[_T], population: Callable[[_T], int | None]) -> _T | None:
    """The one of `ranked` (most populous first) a name means: the only one, or one that dwarfs the next."""
    if len(ranked) == 1:
        return ranked[0]
    if len(ranked) > 1:
        first, second = population(ranked[0]), population(ranked[1])
        if first and first >= DOMINANT_RATIO * max(second or 0, 1):
            return ranked[0]
    return None


class CountyMatch(NamedTuple):
    """A county a user's text may name; `exact` when the name (and the state, if given) matched as written."""

    county: County
    exact: bool
    score: float = 100.0


def exact_state(text: str) -> str | None:
    """USPS code when `text` is exactly a state's (or territory's) name or code: no spelling correction."""
    upper = " ".join(text.split()).upper().replace(".", "")
    if upper in codes():
        return upper
    if upper in _TERRITORY_ALIASES:
        return _TERRITORY_ALIASES[upper]
    return _state_names().get(name_key(text)) if upper else None


def split_state(text: str) -> tuple[str, str | None]:
    """('Harris County', 'TX') from 'Harris County, TX', 'harris county tx' or 'Harris County Texas'.

    After a comma the tail must be a state (InputError otherwise). Without a comma the last one to three
    words are read as a state only when they are one exactly and the rest ends in a unit word ('County',
    'Parish') or names a county of it, so 'Harris Co' stays Harris County and 'Washington' stays a name.
    """
    raw = " ".join(str(text).split())
    name, comma, tail = raw.rpartition(",")
    if comma and name.strip() and tail.strip():
        return name.strip(), state_code(tail)
    words = raw.split()
    for n in (3, 2, 1):
        code = exact_state(" ".join(words[-n:])) if len(words) > n else None
        rest = " ".join(words[:-n])
        if code is not None and (
            _split_unit(rest)[1] is not None or _match_county(code, rest, fuzzy=False)[0] is not None
        ):
            return rest, code
    return raw, None


def _by_population(found: Iterable[County]) -> list[County]:
    return sorted(found, key=lambda c: (-(c.population or 0), c.fips))


def _close(state: str | None, text: str, limit: int = 3, cutoff: float = 60) -> list[tuple[County, float]]:
    """Counties whose names are spelt like `text` (within `state` if given), closest first."""
    pool = _close_pool(state)
    key = name_key(_split_unit(text)[0])
    found = process.extract(key, pool, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff)
    return [(_county_by_fips()[fips], score) for _, score, fips in found]


@lru_cache(maxsize=64)
def _close_pool(state: str | None) -> dict[str, str]:
    """FIPS -> comparison key of the county's name without its unit word (of one state, or all)."""
    return {c.fips: name_key(_split_unit(c.name)[0]) for c in _load_counties() if state in (None, c.state)}


def _close_counties(state: str | None, text: str, limit: int = 3) -> list[str]:
    return [c.label for c, _ in _close(state, text, limit)]


def find_counties(text: str, limit: int = 3) -> list[CountyMatch]:
    """The counties `text` names, best first: every exact match (most populous first), else close names.

    Reads 'Cook County', 'cook county il', 'Harris County TX', 'harris county, tx', 'Harris, Texas' and
    5-digit FIPS codes; a bad state after a comma is an InputError.
    """
    raw = " ".join(str(text).split())
    if re.fullmatch(r"\d{5}", raw):
        county = _county_by_fips().get(raw)
        return [CountyMatch(county, True)] if county else []
    name, state = split_state(raw)
    if not name:
        return []
    states = [state] if state else list(_county_index())
    exact = [c for st in states if (c := _match_county(st, name, fuzzy=False)[0]) is not None]
    if exact:
        return [CountyMatch(c, True) for c in _by_population(exact)]
    return [CountyMatch(c, False, score) for c, score in _close(state, name, limit)]


def county_by_name(text: str) -> County:
    """A county from 'Harris County, TX', 'Harris County TX', 'Harris, Texas' or a 5-digit FIPS code.

    Without a state, a name must be unique in the country or dwarf the others (see `dominant`).
    Raises NotFoundError naming the counties it could mean, or close matches when nothing fits.
    """
    raw = " ".join(str(text).split())
    expected = "'Harris County, TX', 'Harris County TX' or a 5-digit FIPS code"
    if re.fullmatch(r"\d{5}", raw) and raw not in _county_by_fips():
        raise NotFoundError(
            f"no county with FIPS code {raw}", field="county", expected="a 5-digit county FIPS"
        )
    name, state = split_state(raw)
    if not name.strip():
        raise NotFoundError("empty county name", field="county", expected=expected)
    found = find_counties(raw)
    exact = [m.county for m in found if m.exact]
    chosen = dominant(exact, lambda c: c.population)
    if chosen is not None:
        return chosen
    if exact:
        raise NotFoundError(
            f"{name!r} names {len(exact)} counties ({', '.join(c.label for c in exact[:8])}); add the state",
            field="county",
            expected="'Name County, ST'",
        )
    hint = [m.county.label for m in found]
    extra = f"; did you mean {', '.join(hint)}?" if hint else ""
    if state == "CT":
        extra += "; Connecticut's eight counties were replaced by nine planning regions in 2022"
    where = f" in {state}" if state else ""
    raise NotFoundError(f"no county {name.strip()!r}{where}{extra}", field="county", expected=expected)


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class _Place:
    state: str
    geoid: str
    name: str
    entity: str  # "place" or "county subdivision"
    funcstat: str
    lsad: str
    county_fips: str
    counties: tuple[str, ...]
    county_source: str


_PLACE_LSAD: Final = re.compile(
    r"\s+(city and borough|unified government|consolidated government|metro government|"
    r"metropolitan government|"
    r"city|town|village|borough|township|charter township|municipality|cdp|plantation|location|gore|grant|"
    r"purchase|corporation|comunidad|zona urbana|urban county|city \(balance\)|\(balance\))$"
)


def _place_base(name: str) -> tuple[str, str]:
    """'Abbeville city' -> ('abbeville', 'city'); 'Louisville/Jefferson County metro government (balance)'."""
    folded = _fold(re.sub(r"\s*\(balance\)\s*$", "", name))
    lsad = ""
    while True:
        m = _PLACE_LSAD.search(folded)
        if not m:
            break
        lsad = lsad or m.group(1)
        folded = folded[: m.start()]
    folded = folded.split("/")[0].strip()  # "Nashville-Davidson metropolitan government" keeps both halves
    return folded, lsad


@lru_cache(maxsize=1)
def _place_index() -> dict[str, dict[str, list[_Place]]]:
    path = PLACES_FILE
    if not path.exists():
        raise DataError("shipped place table missing", file=path, expected="places.csv in sharemap/data/geo")
    index: dict[str, dict[str, list[_Place]]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["county_fips"]:
                continue
            base, lsad = _place_base(row["name"])
            place = _Place(
                state=row["state"],
                geoid=row["geoid"],
                name=row["name"],
                entity=row["entity"],
                funcstat=row["funcstat"],
                lsad=lsad,
                county_fips=row["county_fips"],
                counties=tuple(row["counties"].split(";")),
                county_source=row["county_source"],
            )
            keys = {name_key(base)}
            if "-" in base:  # 'Winston-Salem' also as 'winstonsalem'; 'Nashville-Davidson' also 'nashville'
                keys.add(name_key(base.split("-")[0]))
            for key in keys:
                if key:
                    index.setdefault(row["state"], {}).setdefault(key, []).append(place)
    return index


# --------------------------------------------------------------------------- agency names

_SHERIFF = re.compile(r"\bsheriff")
_CORRECTIONS = re.compile(
    r"correction|detention|\bjail\b|penitentiar|\bprison|juvenile justice|department of correctional"
)
_JUDICIAL = re.compile(
    r"judicial (circuit|district|distric)\b|\bcircuit\b|district attorney|state'?s? attorney|prosecut|"
    r"solicitor|commonwealth'?s? attorney"
)
_CAMPUS = re.compile(r"universit|college|school|board of trustees|\bisd\b")
_POLICE = re.compile(r"\bpol[io]?ce?\b|police|public safety|\bdps\b|marshal|\bpd\b|law enforcement|security")
_CONSTABLE = re.compile(r"constab|constbal")
_STATE_HEADS: Final = (
    "department",
    "dept",
    "division",
    "bureau",
    "office of the state",
    "office of the attorney general",
    "office of attorney general",
    "attorney general",
    "state police",
    "state patrol",
    "highway patrol",
    "highway state patrol",
    "national guard",
    "fish and wildlife",
    "game and fish",
    "wildlife",
    "gaming control",
    "lottery",
    "criminal investigation",
    "capitol police",
    "alcoholic beverage",
    "commission",
    "agency",
    "public safety",
    "alcohol",
    "law enforcement division",
    "doc",
    "military department",
    "state guard",
)
_TERRITORY_WIDE: Final = frozenset({"GU", "MP", "VI", "AS"})
"""Territories whose police and corrections are territorial governments (no county-level agencies)."""


def _strip_state_prefix(folded: str, state: str | None) -> tuple[str, bool]:
    """Remove a leading 'State of', state name or state code; say whether one was there."""
    text = re.sub(r"^the\s+", "", folded)
    text = re.sub(r"^state of\s+", "", text)
    for prefix in _state_prefixes(state):
        if text == prefix or text.startswith(prefix + " "):
            return text[len(prefix) :].strip(" ,-"), True
    return text, False


@lru_cache(maxsize=64)
def _state_prefixes(state: str | None) -> tuple[str, ...]:
    """Folded ways an agency name may begin with its state: 'florida', 'fl', 'cnmi' (longest first)."""
    if state is not None:
        found = {_fold(name_of(state)), state.lower()}
        found |= {k.lower() for k, v in _TERRITORY_ALIASES.items() if v == state}
    else:
        found = {_fold(j.name) for j in jurisdictions()}
        found |= {k.lower() for k in _TERRITORY_ALIASES}
    return tuple(sorted(found, key=len, reverse=True))


def _is_state_level(name: str, state: str | None) -> bool:
    folded = _fold(name)
    if (
        _JUDICIAL.search(folded)
        or _CAMPUS.search(folded)
        or re.search(r"\b(county|parish|city|town|village|borough|township)\b", folded)
    ):
        return False
    rest, _ = _strip_state_prefix(folded.replace(".", ""), state)
    return any(
        rest == head or rest.startswith(head + " ") or rest.startswith(head + ",") for head in _STATE_HEADS
    )


def classify_kind(name: str, ice_type: str | None) -> AgencyKind:
    """Kind of agency from its name (and ICE's TYPE column when the name leaves it open).

    Rules, in order (see docs/geography.md): a sheriff's office is SHERIFF; departments and divisions
    of corrections, detention centres, jails and prisons are CORRECTIONS (state ones too); state
    police and patrols, bureaus of investigation, state departments, commissions and national guards
    are STATE_AGENCY; police departments, departments of public safety, city marshals and campus,
    port and airport police are POLICE; constables, prosecutors (district and state attorneys),
    judicial-district task forces and anything else are OTHER.
    """
    folded = _fold(name)
    if _SHERIFF.search(folded):
        return AgencyKind.SHERIFF
    if _CORRECTIONS.search(folded):
        return AgencyKind.CORRECTIONS
    if _JUDICIAL.search(folded) or "task force" in folded:
        return AgencyKind.OTHER
    if _is_state_level(name, None) or re.search(
        r"\b(state police|state patrol|highway patrol|national guard)\b", folded
    ):
        return AgencyKind.STATE_AGENCY
    if _CONSTABLE.search(folded):
        return AgencyKind.OTHER
    if _POLICE.search(folded):
        return AgencyKind.POLICE
    t = _clean_type(ice_type)
    if t in {"state", "state agency"} and not _CAMPUS.search(folded):
        return AgencyKind.STATE_AGENCY
    return AgencyKind.OTHER


def _clean_type(ice_type: str | None) -> str | None:
    if ice_type is None:
        return None
    t = " ".join(ice_type.split()).lower()
    if t.upper() in MISSING_VALUES:
        return None
    if t.startswith(("munc", "muni")):
        return "municipality"
    return t


_COUNTY_IN_NAME = re.compile(
    r"(?:city and county of\s+(?P<cc>[a-z0-9' .\-]+?)(?:\s+(?:sheriff|police|department|office|jail)|$))|"
    r"(?P<pre>[a-z0-9' .\-]+?)\s+(?P<unit>county|parish|borough|couny|conty|co\.)(?=\s|$|,)"
)
_AGENCY_WORDS = re.compile(
    r"\b(police department|police dept|police depart\w*|police services department|police services|police|"
    r"polce|pd|department of public safety|public safety department|"
    r"division of public safety( and security)?|"
    r"department of police services|sheriffs? (office|department|dept)|office of the sheriff|sheriffs?|"
    r"marshals? (office|service)|marshals?|constab\w* office|constab\w*|constbal\w*|precinct( no)? \d+|"
    r"district( no)? \d+|(first|second|third|fourth|fifth|sixth|seventh|\d+(st|nd|rd|th)) ward|"
    r"international airport|airport authority|aviation authority|port authority|airport|authority|"
    r"public safety|corrections and rehabilitation|corrections|rehabilitation|department|dept|office|"
    r"city of|town of|village of|borough of|township of|the|municipal|special|auxiliary|reserve|"
    r"metropolitan|metro)\b"
)


def _county_from_name(name: str, state: str) -> tuple[County | None, str | None]:
    folded = _fold(name)
    for fuzzy in (False, True):
        for m in _COUNTY_IN_NAME.finditer(folded):
            if m.group("cc"):
                county, note = _match_county(state, m.group("cc"), fuzzy=fuzzy)
                if county is not None:
                    return county, note
                continue
            words = m.group("pre").replace(",", " ").split()
            unit = m.group("unit")
            for n in range(min(4, len(words)), 0, -1):  # longest tail first: 'prince george's', 'st. lucie'
                candidate = " ".join(words[-n:])
                if unit == "borough" and state != "AK":
                    continue  # a borough outside Alaska is a municipality (PA, NJ), not a county
                fuzzy_ok = fuzzy and n <= 2 and unit in {"county", "parish", "couny", "conty"}
                county, note = _match_county(state, f"{candidate} {unit}", fuzzy=fuzzy_ok)
                if county is None and n == 1 and "-" in candidate:  # 'Athens-Clarke County' -> Clarke
                    county, note = _match_county(state, f"{candidate.rsplit('-', 1)[-1]} {unit}", fuzzy=False)
                if county is not None:
                    return county, note
    return None, None


def _county_elsewhere(text: str, state: str) -> str:
    """' (it is a county of MN: Crow Wing County)' when a county of that name exists in other states."""
    others = [
        c.label
        for st in _county_index()
        if st != state and (c := _match_county(st, text, fuzzy=False)[0]) is not None
    ]
    if not others:
        return ""
    shown = ", ".join(others[:4]) + (" ..." if len(others) > 4 else "")
    return f" (a county of that name exists in {shown}: ICE's state may be wrong)"


def _named_county_text(name: str) -> str | None:
    m = re.search(r"([a-z0-9' .\-]+?)\s+(county|parish)\b", _fold(name))
    return f"{m.group(1).split(' of ')[-1].strip()} {m.group(2)}" if m else None


def _localities(name: str, state: str) -> tuple[list[str], str | None]:
    """Candidate place parts of an agency name (most literal first) and the municipality kind it names."""
    folded = _fold(name).replace("'", "")
    hint = None
    for word in ("township", "twp", "borough", "village", "town", "city"):
        if re.search(rf"\b{word}\b", folded):
            hint = "township" if word == "twp" else word
            break
    text = folded.split(" - ")[0] if " - " in folded else folded
    text = re.sub(r"\((.*?)\)", " ", text)
    text = _AGENCY_WORDS.sub(" ", text)
    text = re.sub(r"[,/]|\.(?=\s|$)", " ", text)
    literal = " ".join(text.split())
    bare = " ".join(re.sub(r"\b(township|twp|borough|village|town|city)\b", " ", literal).split())
    out = [x for x in dict.fromkeys([literal, bare]) if x]
    return out, hint


def _independent_city(state: str, locality: str) -> County | None:
    by_key = _county_index().get(state, {})
    for c in by_key.get(name_key(locality), []):
        if (
            _county_unit(c) in {"city", "city and borough", "municipality"}
            or c.unit_type == "District of Columbia"
        ):
            return c
    return None


def _place_candidates(state: str, locality: str, hint: str | None) -> tuple[list[_Place], str | None]:
    by_key = _place_index().get(state, {})
    key = name_key(locality)
    places = by_key.get(key, [])
    note = None
    if not places and len(key) >= 6:
        # 'Sunny Isles' -> 'Sunny Isles Beach'; 'Greens Forks' -> 'Greens Fork'; 'Pittsburgh' -> 'Pittsburg'
        active = {k for k, v in by_key.items() if any(p.funcstat == "A" for p in v)}
        longer = [k for k in active if k.startswith(key)]
        if len(longer) == 1:
            places, note = by_key[longer[0]], "name completed"
        else:
            best = process.extract(key, list(active), scorer=fuzz.ratio, limit=2)
            if best and best[0][1] >= 90 and (len(best) == 1 or best[1][1] < best[0][1]) and not longer:
                places, note = by_key[best[0][0]], "spelling corrected"
        if places:
            note = f"{locality!r} read as {places[0].name} ({note})"
    if not places:
        return [], None
    if hint == "township":
        tiers = [
            [p for p in places if p.entity == "county subdivision"],
            [p for p in places if p.lsad == "township"],
        ]
    elif hint == "borough":
        tiers = [
            [p for p in places if p.lsad == "borough"],
            [p for p in places if p.entity == "county subdivision"],
        ]
    else:
        tiers = []
    tiers += [
        [p for p in places if p.entity == "place" and p.funcstat in {"A", "B", "C", "F"}],
        [p for p in places if p.entity == "county subdivision"],
        [p for p in places if p.entity == "place"],
    ]
    known = _county_by_fips()
    for tier in tiers:
        tier = [p for p in tier if p.county_fips in known]  # drops retired Connecticut county codes
        if tier:
            return tier, note
    return [], None


def _close_places(state: str, locality: str, limit: int = 3) -> list[str]:
    by_key = _place_index().get(state, {})
    found = process.extract(name_key(locality), list(by_key), scorer=fuzz.ratio, limit=limit)
    return [by_key[k][0].name for k, score, _ in found if score >= 75]


def _from_place(state: str, kind: AgencyKind, locality: str, hint: str | None) -> Placement | None:
    cands, match_note = _place_candidates(state, locality, hint)
    if not cands:
        return None
    primaries = {p.county_fips for p in cands}
    if len(primaries) > 1:
        names = "; ".join(f"{p.name} ({_county_label(p.county_fips)})" for p in cands[:6])
        return Placement(
            state=state,
            kind=kind,
            reason=f"place name {locality!r} matches {len(cands)} places in {state} "
            f"in different counties: {names}",
        )
    place = cands[0]
    county = _county_by_fips().get(place.county_fips)
    if county is None:
        return Placement(
            state=state,
            kind=kind,
            reason=f"place {place.name} ({place.geoid}) has county {place.county_fips}, "
            "not in the county table",
        )
    spans = tuple(place.counties) if len(place.counties) > 1 else ()
    notes = [match_note] if match_note else []
    if spans:
        others = ", ".join(_county_label(f) for f in spans if f != county.fips)
        notes.append(
            f"{place.name} spans {len(spans)} counties (also {others}); primary county "
            + (
                "by land area estimated from 2020 ZCTA relationships"
                if place.county_source.startswith("zcta")
                else "per USGS GNIS (county of the place's primary point)"
            )
        )
    note = "; ".join(notes) or None
    return Placement(
        state=state,
        kind=kind,
        county_fips=county.fips,
        county_name=county.name,
        method="place table",
        place_geoid=place.geoid,
        place_name=place.name,
        spans_counties=spans,
        note=note,
    )


def _county_label(fips: str) -> str:
    c = _county_by_fips().get(fips)
    return c.name if c else fips


def _placed(
    state: str, kind: AgencyKind, county: County, method: Method, note: str | None = None
) -> Placement:
    return Placement(
        state=state, kind=kind, county_fips=county.fips, county_name=county.name, method=method, note=note
    )


@dataclass(frozen=True)
class _Listing:
    """One agency row of ICE's list, with the readings every strategy shares (computed on demand)."""

    name: str
    state: str
    kind: AgencyKind
    ice_type: str | None
    county_text: str

    @cached_property
    def folded(self) -> str:
        return _fold(self.name)

    @cached_property
    def county_in_name(self) -> tuple[County | None, str | None]:
        return _county_from_name(self.name, self.state)

    @cached_property
    def localities(self) -> tuple[list[str], str | None]:
        return _localities(self.name, self.state)

    @cached_property
    def multi(self) -> bool:
        """A judicial circuit or district, task force, regional jail or cooperative (several counties)."""
        return bool(
            _JUDICIAL.search(self.folded)
            or re.search(r"task force|regional|cooperative|district jail", self.folded)
        )

    @cached_property
    def named(self) -> str | None:
        return _named_county_text(self.name)


Strategy = Callable[[_Listing], Placement | None]
"""One way of placing a listing: a Placement when it decides, None to let the next strategy try."""


def _statewide(a: _Listing, method: Method, note: str | None) -> Placement:
    return Placement(state=a.state, kind=a.kind, statewide=True, method=method, note=note)


def _territory_wide(a: _Listing) -> Placement | None:
    if a.state not in _TERRITORY_WIDE or a.state in _county_index():
        return None
    note = f"{name_of(a.state)} has no county table here; its territorial agencies act territory-wide"
    return _statewide(a, "territory-wide agency", note)


def _state_level(a: _Listing) -> Placement | None:
    if not (
        _is_state_level(a.name, a.state) or (a.kind == AgencyKind.STATE_AGENCY and not a.county_in_name[0])
    ):
        return None
    return _statewide(
        a, "statewide agency", f"ICE lists {a.county_text} (headquarters)" if a.county_text else None
    )


def _county_named(a: _Listing) -> Placement | None:
    found, note = a.county_in_name
    return _placed(a.state, a.kind, found, "county in agency name", note) if found is not None else None


def _county_column(a: _Listing) -> Placement | None:
    """ICE's COUNTY column (spelling slips corrected), checked against the Census place of the name."""
    if not a.county_text:
        return None
    found, note = _match_county(a.state, a.county_text)
    if found is None:
        return None
    notes = [note] if note else []
    if a.multi:
        notes.append("multi-county body; placed in the one county ICE lists")
    elif a.kind != AgencyKind.SHERIFF:
        localities, hint = a.localities
        check = next(
            (p for loc in localities if (p := _from_place(a.state, a.kind, loc, hint)) is not None), None
        )
        if (
            check is not None
            and check.county_fips
            and found.fips not in (check.spans_counties or (check.county_fips,))
        ):
            notes.append(
                f"conflict: the Census place {check.place_name} lies in {check.county_name}, "
                f"not in ICE's {a.county_text}"
            )
    return _placed(a.state, a.kind, found, "county column", "; ".join(notes) or None)


def _multi_county(a: _Listing) -> Placement | None:
    if not a.multi:
        return None
    return Placement(
        state=a.state,
        kind=a.kind,
        reason="multi-county body (judicial circuit or district, task force, regional jail or "
        "cooperative); ICE names no single county",
    )


def _sheriff_county(a: _Listing) -> Placement | None:
    """'Miami Dade Sheriff's Office', 'St. Charles Place Sheriff's Office': a sheriff serves a county."""
    if a.kind not in {AgencyKind.SHERIFF, AgencyKind.CORRECTIONS} or a.named is not None:
        return None
    for loc in a.localities[0]:
        words = loc.split()
        for n in range(len(words), 0, -1):
            head = " ".join(words[:n])
            both = _county_index().get(a.state, {}).get(name_key(_split_unit(head)[0]), [])
            if _split_unit(head)[1] is None and len({_county_unit(c) == "city" for c in both}) == 2:
                return Placement(
                    state=a.state,
                    kind=a.kind,
                    reason=f"{head.title()!r} fits both {' and '.join(c.name for c in both)}; "
                    "the name says neither county nor city and ICE gives no county",
                )
            found, note = _match_county(a.state, head)
            if found is not None:
                extra = f"placed by the county its name begins with ({found.name})"
                return _placed(
                    a.state, a.kind, found, "county in agency name", f"{note}; {extra}" if note else extra
                )
    return None


def _city_county(a: _Listing) -> Placement | None:
    """An independent city or consolidated borough named in the agency name."""
    for loc in a.localities[0]:
        city = _independent_city(a.state, loc)
        if city is not None:
            return _placed(
                a.state, a.kind, city, "county in agency name", f"{city.name} is a county equivalent"
            )
    return None


def _census_place(a: _Listing) -> Placement | None:
    """The Census place (or township) the name gives, through the place table."""
    if a.named is not None and a.kind == AgencyKind.SHERIFF:
        return None
    localities, hint = a.localities
    for loc in localities:
        placed = _from_place(a.state, a.kind, loc, hint)
        if placed is None:
            continue
        if a.county_text and placed.mapped:
            extra = f"ICE's county {a.county_text!r} not recognised"
            placed = placed.model_copy(update={"note": f"{placed.note}; {extra}" if placed.note else extra})
        if placed.mapped or a.named is None:
            return placed
    return None


def _campus_city(a: _Listing) -> Placement | None:
    """'Florida State College at Jacksonville', 'Tallahassee State College': the city the name gives."""
    if not _CAMPUS.search(a.folded) or a.named is not None:
        return None
    m = re.search(r"\bat ([a-z .'-]+?)(?: police| board|$)", a.folded) or re.match(
        r"([a-z .'-]+?) (?:state |community )?(?:college|university)\b", a.folded
    )
    town = _strip_state_prefix(m.group(1), a.state)[0] if m else ""
    placed = _from_place(a.state, a.kind, town, None) if town and not town.startswith("university") else None
    if placed is None or not placed.mapped:
        return None
    extra = f"campus placed by the city its name gives ({placed.place_name})"
    return placed.model_copy(update={"note": f"{placed.note}; {extra}" if placed.note else extra})


def _state_by_ice_type(a: _Listing) -> Placement | None:
    if _clean_type(a.ice_type) not in {"state", "state agency"} or _CAMPUS.search(a.folded) or a.named:
        return None
    return _statewide(a, "statewide agency", "ICE types it a state agency")


def _unplaced(a: _Listing) -> Placement:
    reason = _unmapped_reason_pr(a.state) or _unmapped_reason(
        a.state, a.folded, a.named, a.county_text, a.localities[0]
    )
    return Placement(state=a.state, kind=a.kind, reason=reason)


STRATEGIES: Final[tuple[tuple[str, Strategy], ...]] = (
    ("territory-wide agency", _territory_wide),
    ("state-level agency", _state_level),
    ("county in the agency name", _county_named),
    ("ICE's county column", _county_column),
    ("multi-county body", _multi_county),
    ("sheriff named after its county", _sheriff_county),
    ("independent city", _city_county),
    ("Census place", _census_place),
    ("campus city", _campus_city),
    ("typed a state agency by ICE", _state_by_ice_type),
)
"""How `locate` places an agency, tried in this order; the first that decides wins (docs/geography.md)."""


def locate(name: str, state: str, ice_type: str | None = None, county: str | None = None) -> Placement:
    """Place one agency from ICE's list: its county FIPS, statewide, or unmapped with the reason.

    The named strategies in :data:`STRATEGIES` are tried in order: territory-wide and state-level
    agencies are statewide; then a county named in the agency name ('Autauga County Sheriff's
    Office', 'City and County of Denver', 'St. Mary Parish'); then ICE's COUNTY column (spelling
    slips corrected, '#N/A' ignored); then an independent city or borough named in the agency name;
    then the Census place (or township) the name gives, through the place table. Multi-county bodies
    without a single named county stay unmapped, with the reason.
    """
    st = state_code(state)
    clean = " ".join(str(name).split())
    if not clean:
        raise InputError("empty agency name", field="LAW ENFORCEMENT AGENCY", expected="an agency name")
    county_text = " ".join((county or "").split())
    if county_text.upper() in MISSING_VALUES:
        county_text = ""
    listing = _Listing(clean, st, classify_kind(clean, ice_type), ice_type, county_text)
    for _label, strategy in STRATEGIES:
        placed = strategy(listing)
        if placed is not None:
            return placed
    return _unplaced(listing)


def _counties_named_in(state: str, text: str) -> list[County]:
    """Counties of `state` whose names appear word for word in `text` ('sarasota manatee')."""
    words = text.split()
    found: list[County] = []
    i = 0
    while i < len(words):
        for n in range(min(3, len(words) - i), 0, -1):
            county, _ = _match_county(state, " ".join(words[i : i + n]), fuzzy=False)
            if county is not None and county not in found:
                found.append(county)
                i += n - 1
                break
        i += 1
    return found


def _unmapped_reason_pr(state: str) -> str | None:
    if state == "PR" and state not in _county_index():
        return "Puerto Rico's municipios are not in the shipped county table"
    return None


def _unmapped_reason(
    state: str, folded: str, named: str | None, county_text: str, localities: list[str]
) -> str:
    for text, label in (
        (named, f"{(named or '').title()!r}"),
        (county_text, f"ICE's county {county_text!r}"),
    ):
        if text:
            close = [c for c in _close_counties(state, text) if name_key(c) != name_key(text)]
            hint = f" (close: {', '.join(close)})" if close else ""
            return f"{label} is not a county of {state}{hint}{_county_elsewhere(text, state)}"
    if _CAMPUS.search(folded):
        return "campus police; ICE gives no county and the campus is not a Census place"
    if localities:
        loc = localities[-1]
        several = _counties_named_in(state, loc)
        if len(several) > 1:
            return f"names several counties ({', '.join(c.name for c in several)}); multi-county body"
        close = _close_places(state, loc)
        hint = f" (close: {', '.join(close)})" if close else ""
        return f"no county named and no Census place {loc!r} in {state}{hint}"
    return "no county or place in the name and no COUNTY value"


def locate_many(rows: Iterable[tuple[str, str, str | None, str | None]]) -> list[Placement]:
    """`locate` over (name, state, ice_type, county) rows, in order."""
    return [locate(*row) for row in rows]


def data_files() -> list[Path]:
    """The shipped geography files (for provenance listings and build checks)."""
    return [COUNTIES_FILE, PLACES_FILE, GEO_DIR / "PROVENANCE.md"]
