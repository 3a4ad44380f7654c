"""The place a question is about (the nation, a state, a county or an agency) and the one resolver that
turns what a person types into it, used alike by the CLI, the Python API, the web and the reports.

The resolver reads 'Cook County', 'cook county il', 'Harris County TX', 'harris county, tx', '48201',
'Texas', 'tx' and agency names with spelling slips. It ranks exact name matches first, most populous
first, then close spellings by closeness. A query is *decided* when one exact match is left, or when the
most populous exact match has at least ten times the people of the next (`geo.dominant`): 'harris' is
Harris County, TX; 'jefferson' is not decided and the candidates are shown instead (docs/geography.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from sharemap.errors import InputError, NotFoundError
from sharemap.kb.jurisdictions import name_of
from sharemap.kb.model import Place, PlaceKind
from sharemap.ledger import geo, query
from sharemap.ledger.linkage import agency_key

KINDS: tuple[PlaceKind, ...] = ("state", "county", "agency", "nation")

FUZZY_CUTOFF = 80.0
"""Least rapidfuzz score (0-100) for a close spelling to be offered as a candidate."""


NATION = Place("nation", "US", "United States", "US")


def state_place(code: str) -> Place:
    st = geo.state_code(code)
    return Place("state", st, name_of(st), st)


def county_place(county: geo.County) -> Place:
    return Place("county", county.fips, county.label, county.state, county_fips=county.fips)


def agency_place(agency_id: str, name: str, state: str, county_fips: str | None) -> Place:
    return Place("agency", agency_id, f"{name} ({state})", state, county_fips=county_fips, agency_name=name)


@lru_cache(maxsize=1)
def state_populations() -> dict[str, int]:
    """People per state: the sum of its counties in the shipped county table (ACS 2019-2023)."""
    out: dict[str, int] = {}
    for c in geo.counties():
        out[c.state] = out.get(c.state, 0) + (c.population or 0)
    return out


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a query may mean: `exact` when a name matched as written, `score` its closeness (0-100),
    `population` the people of the place (an agency: of its county or state), `why` the match in words."""

    place: Place
    exact: bool
    score: float
    population: int | None
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.place.to_dict(),
            "exact": self.exact,
            "score": round(self.score, 1),
            "population": self.population,
            "why": self.why,
        }


@dataclass(frozen=True)
class Resolution:
    """The ranked candidates for a query, and the place it decides on (None when it is ambiguous)."""

    query: str
    candidates: tuple[Candidate, ...]
    place: Place | None

    @property
    def ambiguous(self) -> bool:
        return self.place is None and bool(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "q": self.query,
            "decided": self.place.to_dict() if self.place else None,
            "results": [c.to_dict() for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class _AgencyEntry:
    place: Place
    keys: frozenset[str]  # spelling-insensitive keys of every name ICE listed it under
    text: str  # folded 'name (st)' for close spellings
    population: int | None


def _agency_text_key(name: str) -> str:
    return agency_key("xx", name).removeprefix("xx-")


Strategy = Callable[["Resolver", str], Iterable[Candidate]]
"""One way of reading a query: the candidates it finds (exact or close), in any order."""


def _by_fips(r: Resolver, text: str) -> Iterable[Candidate]:
    if re.fullmatch(r"\d{5}", text):
        for m in geo.find_counties(text):
            yield r.county_candidate(m.county, True, 100.0, "county FIPS code")


def _by_state_name(r: Resolver, text: str) -> Iterable[Candidate]:
    code = geo.exact_state(text)
    if code is not None:
        yield Candidate(state_place(code), True, 100.0, state_populations().get(code), "state name or code")
        return
    if len(text) >= 4 and not re.search(r"\d", text):
        try:
            code = geo.state_code(text)  # two edits at most: 'Pennsylvnia'
        except InputError:
            return
        place = state_place(code)
        yield Candidate(place, False, fuzz.ratio(text.lower(), place.label.lower()), None, "state, spelling")


def _by_county_name(r: Resolver, text: str) -> Iterable[Candidate]:
    try:
        found = geo.find_counties(text)
    except InputError:  # 'Sheriff, Harris County': what follows the comma is not a state
        return
    for m in found:
        if m.exact or m.score >= FUZZY_CUTOFF:
            yield r.county_candidate(
                m.county, m.exact, m.score, "county name" if m.exact else "county, spelling"
            )


def _by_agency_name(r: Resolver, text: str) -> Iterable[Candidate]:
    if not r.agencies:
        return
    stripped = re.sub(r"\s*\(([A-Za-z]{2})\)\s*$", r" \1", text)
    name, state = _tail_state(stripped)
    key = _agency_text_key(name)
    exact = [a for a in r.agencies if key in a.keys and state in (None, a.place.state)]
    for a in exact:
        yield Candidate(a.place, True, 100.0, a.population, "agency name")
    seen = {a.place.key for a in exact}
    folded = _distinctive(name)
    if len(folded) < 3:  # 'county sheriff', 'tx': nothing that tells one agency from another
        return
    found = process.extract(
        folded, r.agency_texts, scorer=fuzz.token_set_ratio, limit=12, score_cutoff=FUZZY_CUTOFF
    )
    for _, score, i in found:
        a = r.agencies[i]
        if a.place.key not in seen and state in (None, a.place.state):
            closeness = (score + fuzz.ratio(folded, r.agency_texts[i])) / 2  # whole name, not just a word
            yield Candidate(a.place, False, closeness, a.population, "agency name, close spelling")


_GENERIC = frozenset(
    [
        "county",
        "parish",
        "borough",
        "sheriff",
        "sheriffs",
        "sheriff's",
        "office",
        "police",
        "department",
        "dept",
        "of",
        "the",
        "city",
        "town",
        "village",
        "township",
        "and",
        "pd",
        "so",
        "co",
    ]
)


def _distinctive(name: str) -> str:
    """The words of an agency name that tell it from others: 'Miami-Dade Sheriff's Office' -> 'miami dade'.
    A word within a slip of a generic one ('Conty', 'Sherif') counts as generic."""
    words = re.sub(r"[^a-z0-9' ]", " ", name.lower()).split()
    return " ".join(w for w in words if not _generic(w))


@lru_cache(maxsize=4096)
def _generic(word: str) -> bool:
    if word in _GENERIC:
        return True
    return len(word) >= 5 and any(fuzz.ratio(word, g) >= 80 for g in _GENERIC if len(g) >= 5)


def _tail_state(text: str) -> tuple[str, str | None]:
    """('Canadian County Sheriff's Office', 'OK') from '... Office OK' or '... Office, Oklahoma'."""
    head, comma, tail = text.rpartition(",")
    if comma and head.strip() and (code := geo.exact_state(tail)):
        return head.strip(), code
    words = text.split()
    for n in (3, 2, 1):
        if len(words) > n + 1 and (code := geo.exact_state(" ".join(words[-n:]))):
            return " ".join(words[:-n]), code
    return text, None


STRATEGIES: tuple[tuple[str, Strategy], ...] = (
    ("county FIPS code", _by_fips),
    ("state name or code", _by_state_name),
    ("county name, with or without its state", _by_county_name),
    ("agency name, spelling-insensitive, then close spellings", _by_agency_name),
)
"""How the resolver reads a query: every strategy adds candidates, then one ranking orders them all."""


def _rank(found: Iterable[Candidate], limit: int) -> list[Candidate]:
    """Exact matches first (most populous first), then close spellings (closest, then most populous);
    one candidate per place, the best reading kept."""
    best: dict[tuple[str, str], Candidate] = {}
    for c in found:
        k = (c.place.kind, c.place.key)
        if k not in best or (c.exact, c.score) > (best[k].exact, best[k].score):
            best[k] = c
    order = sorted(
        best.values(),
        key=lambda c: (not c.exact, 0.0 if c.exact else -round(c.score), -(c.population or 0), c.place.label),
    )
    return order[:limit]


@dataclass
class Resolver:
    """Reads place names; knows every state and county, and the ledger's agencies when given them."""

    agencies: Sequence[_AgencyEntry] = ()
    agency_texts: list[str] = field(default_factory=list, repr=False)
    _prefix: list[tuple[str, Candidate]] = field(default_factory=list, repr=False)

    @classmethod
    def from_ledger(cls, con: duckdb.DuckDBPyConnection) -> Resolver:
        """A resolver over the ledger's agencies (their names and every variant ICE listed them under)."""
        rows = con.execute(
            "SELECT agency_id, name, state, county_fips, coalesce(name_variants, []) FROM agencies"
        ).fetchall()
        return cls.of_agencies(rows)

    @classmethod
    def of_agencies(cls, rows: Iterable[tuple[str, str, str, str | None, Sequence[str]]]) -> Resolver:
        counties = {c.fips: c.population for c in geo.counties()}
        states = state_populations()
        entries = [
            _AgencyEntry(
                agency_place(aid, name, st, fips),
                frozenset(_agency_text_key(n) for n in {name, *variants}),
                f"{name} ({st})".lower(),
                counties.get(fips) if fips else states.get(st),
            )
            for aid, name, st, fips, variants in rows
        ]
        return cls(entries, [_distinctive(e.place.agency_name or "") for e in entries])

    def county_candidate(self, county: geo.County, exact: bool, score: float, why: str) -> Candidate:
        return Candidate(county_place(county), exact, score, county.population, why)

    def search(self, query: str, limit: int = 10, kinds: Sequence[PlaceKind] = KINDS) -> Resolution:
        """Every place `query` may mean, ranked, and the one it decides on (see the module docstring)."""
        text = " ".join(str(query).split())
        if not text:
            return Resolution(text, (), None)
        found = (c for _, strategy in STRATEGIES for c in strategy(self, text) if c.place.kind in kinds)
        ranked = _rank(found, limit)
        exact = [c for c in ranked if c.exact]
        chosen = geo.dominant(exact, lambda c: c.population)
        return Resolution(text, tuple(ranked), chosen.place if chosen else None)

    def resolve(self, query: str, kinds: Sequence[PlaceKind] = KINDS) -> Place:
        """The one place `query` means; NotFoundError naming the candidates when it is not decided."""
        found = self.search(query, 8, kinds)
        if found.place is not None:
            return found.place
        names = "; ".join(c.place.label for c in found.candidates)
        what = ", ".join(kinds)
        if found.candidates:
            raise NotFoundError(
                f"{found.query!r} may mean {len(found.candidates)} places: {names}",
                field="place",
                expected=f"one of them named in full ({what}), e.g. 'Harris County, TX'",
            )
        raise NotFoundError(
            f"no place named {found.query!r}", field="place", expected=f"the name of a {what}"
        )

    def suggest(self, prefix: str, limit: int = 8) -> list[Candidate]:
        """Places whose names begin with what was typed, most populous first (type-ahead); close
        spellings fill the list when few names begin so."""
        key = geo.name_key(prefix)
        if not key:
            return []
        out = [c for k, c in self._prefix_index() if k.startswith(key)][:limit]
        if len(out) < limit and len(key) >= 3:
            have = {c.place for c in out}
            out += [c for c in self.search(prefix, limit).candidates if c.place not in have]
        return out[:limit]

    def _prefix_index(self) -> list[tuple[str, Candidate]]:
        if not self._prefix:
            entries: list[tuple[str, Candidate]] = []
            pops = state_populations()
            for st in {*geo.state_codes()}:
                place = state_place(st)
                for k in {geo.name_key(place.label), st.lower()}:
                    entries.append((k, Candidate(place, True, 100.0, pops.get(st), "state")))
            for c in geo.counties():
                entries.append((geo.name_key(c.label), self.county_candidate(c, True, 100.0, "county")))
            for a in self.agencies:
                entries.append(
                    (geo.name_key(a.place.label), Candidate(a.place, True, 100.0, a.population, "agency"))
                )
            entries.sort(key=lambda e: (-(e[1].population or 0), e[1].place.label))
            self._prefix = entries
        return self._prefix


def place_from(
    con: duckdb.DuckDBPyConnection | None,
    *,
    county: str | None = None,
    state: str | None = None,
    agency: str | None = None,
    agency_id: str | None = None,
    nation: bool = False,
) -> Place:
    """The place named by the CLI's and the API's options (--county, --state, --agency, --nation).

    A county is read by `geo.county_by_name` (the resolver's county reading); with --state too, the
    county must lie in that state. An agency needs the ledger (`con`).
    """
    if nation:
        return NATION
    if county:
        c = geo.county_by_name(county)
        if state and geo.state_code(state) != c.state:
            raise InputError(
                f"{c.label} is not in {geo.state_code(state)}", field="--state", expected=f"{c.state} or none"
            )
        return county_place(c)
    if agency_id or agency:
        if con is None:
            raise InputError("an agency needs the ledger", field="--agency", expected="a ledger database")
        st = geo.state_code(state) if state else None
        ag = query.agency(con, agency_id) if agency_id else query.find_agency(con, agency or "", st)
        return agency_place(ag.agency_id, ag.name, ag.state, ag.county_fips)
    if state:
        return state_place(state)
    raise InputError("say where", field="--county/--state/--agency/--nation", expected="one of them")


def place_of(con: duckdb.DuckDBPyConnection | None, kind: str, key: str) -> Place:
    """The place a (kind, key) pair names, as in web addresses: ('county', '48201'), ('state', 'TX')."""
    if kind == "nation":
        return NATION
    if kind == "county":
        return place_from(con, county=key)
    if kind == "state":
        return place_from(con, state=key)
    if kind == "agency":
        return place_from(con, agency_id=key)
    raise NotFoundError(f"no such kind of place {kind!r}", expected="county, state, agency or nation")


def resolve(query: str, con: duckdb.DuckDBPyConnection | None = None) -> Resolution:
    """The ranked places `query` may mean (agencies too when given the ledger): the Python API's entry."""
    return (Resolver.from_ledger(con) if con is not None else Resolver()).search(query)
