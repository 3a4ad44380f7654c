"""Biographic (name and date-of-birth) matching like an Immigration Alien Query, explained feature by feature.

The score is a Fellegi-Sunter log-likelihood ratio in bits: for each feature (surname, given name, date of
birth, sex) the comparison falls into a level, and the level adds log2(m / u), where m is the chance of
that level for two records of the same person and u for two different people. For exact name agreement
u is the name's frequency in the gallery (term-frequency adjustment), so a rare name counts for more
than a common one - and a common name with the same date of birth can still pass the threshold, which
is how name-only checks produce false matches. m and u below are engine settings chosen for the
SYNTHETIC population, not published figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import jellyfish
from rapidfuzz.distance import JaroWinkler

from sharemap.identity.names import Name, strip_accents

# level -> (m, u); u = None means "use the term frequency of the value in the gallery"
SURNAME_LEVELS: dict[str, tuple[float, float | None]] = {
    "exact": (0.70, None),
    "token_overlap": (0.15, None),
    "fuzzy": (0.08, 0.004),
    "phonetic": (0.04, 0.01),
    "disagree": (0.03, 0.98),
}
GIVEN_LEVELS: dict[str, tuple[float, float | None]] = {
    "exact": (0.80, None),
    "fuzzy": (0.10, 0.005),
    "phonetic": (0.03, 0.01),
    "initial": (0.04, 0.06),
    "disagree": (0.03, 0.92),
}
DOB_LEVELS: dict[str, tuple[float, float | None]] = {
    "exact": (0.92, 1 / (365.25 * 60)),
    "transposed": (0.02, 1 / (365.25 * 60)),
    "year_off_by_one": (0.02, 2 / (365.25 * 60)),
    "same_year": (0.02, 1 / 60),
    "disagree": (0.02, 1.0),
}
SEX_LEVELS: dict[str, tuple[float, float | None]] = {"agree": (0.98, 0.5), "disagree": (0.02, 0.5)}
DEFAULT_THRESHOLD = 12.0  # bits


@dataclass(frozen=True)
class Record:
    """A SYNTHETIC biographic record (query or gallery)."""

    record_id: int
    name: Name
    dob: dt.date
    sex: str


@dataclass(frozen=True)
class Feature:
    feature: str
    level: str
    query_value: str
    record_value: str
    weight: float  # bits


@dataclass(frozen=True)
class Match:
    record_id: int
    score: float
    features: tuple[Feature, ...]
    is_match: bool

    def explain(self) -> str:
        parts = [
            f"{f.feature}: {f.level} ({f.query_value!r} vs {f.record_value!r}) {f.weight:+.1f}"
            for f in self.features
        ]
        return f"record {self.record_id}: {self.score:.1f} bits = " + "; ".join(parts)


def _norm(s: str) -> str:
    return strip_accents(s).lower().replace("-", " ").strip()


def _tokens(surnames: Sequence[str]) -> list[str]:
    return [t for s in surnames for t in _norm(s).split()]


@dataclass
class Frequencies:
    """Term frequencies of surname tokens and given names in a gallery (for the u of exact agreement)."""

    surname: Counter[str] = field(default_factory=Counter)
    given: Counter[str] = field(default_factory=Counter)
    n: int = 0

    @classmethod
    def of(cls, records: Sequence[Record]) -> Frequencies:
        f = cls()
        for r in records:
            f.surname.update(set(_tokens(r.name.surnames)))
            f.given[_norm(r.name.given)] += 1
        f.n = len(records)
        return f

    def u_surname(self, token: str) -> float:
        return max(self.surname.get(token, 0), 1) / max(self.n, 1)

    def u_given(self, given: str) -> float:
        return max(self.given.get(given, 0), 1) / max(self.n, 1)


def _surname_level(q: list[str], r: list[str]) -> str:
    if q == r:
        return "exact"
    if set(q) & set(r):
        return "token_overlap"
    best = max((JaroWinkler.similarity(a, b) for a in q for b in r), default=0.0)
    if best >= 0.92:
        return "fuzzy"
    if {jellyfish.metaphone(a) for a in q} & {jellyfish.metaphone(b) for b in r}:
        return "phonetic"
    return "disagree"


def _given_level(q: str, r: str) -> str:
    if q == r:
        return "exact"
    if len(q) > 1 and len(r) > 1 and JaroWinkler.similarity(q, r) >= 0.92:
        return "fuzzy"
    if len(q) > 1 and len(r) > 1 and jellyfish.metaphone(q) == jellyfish.metaphone(r):
        return "phonetic"
    if q[:1] == r[:1]:
        return "initial"
    return "disagree"


def _dob_level(q: dt.date, r: dt.date) -> str:
    if q == r:
        return "exact"
    if q.year == r.year and q.month == r.day and q.day == r.month:
        return "transposed"
    if abs(q.year - r.year) == 1 and (q.month, q.day) == (r.month, r.day):
        return "year_off_by_one"
    if q.year == r.year:
        return "same_year"
    return "disagree"


def _w(m: float, u: float) -> float:
    return math.log2(m / max(u, 1e-12))


def compare(query: Record, record: Record, freq: Frequencies, threshold: float = DEFAULT_THRESHOLD) -> Match:
    """Score one query against one record; every feature's level and weight is returned."""
    qs, rs = _tokens(query.name.surnames), _tokens(record.name.surnames)
    qg, rg = _norm(query.name.given), _norm(record.name.given)
    if qs != rs and qs == [rg] and rs == [qg]:  # given and family name written in the other order
        qs, qg = rs, rg
    lvl = _surname_level(qs, rs)
    m, u = SURNAME_LEVELS[lvl]
    if u is None:
        shared = set(qs) & set(rs)
        u = (
            min(freq.u_surname(t) for t in shared)
            if lvl == "exact"
            else max(freq.u_surname(t) for t in shared) * 3
        )
    f_sur = Feature("surname", lvl, " ".join(query.name.surnames), " ".join(record.name.surnames), _w(m, u))
    lvl = _given_level(qg, rg)
    m, u = GIVEN_LEVELS[lvl]
    f_giv = Feature(
        "given_name", lvl, query.name.given, record.name.given, _w(m, freq.u_given(qg) if u is None else u)
    )
    lvl = _dob_level(query.dob, record.dob)
    m, u2 = DOB_LEVELS[lvl]
    f_dob = Feature("date_of_birth", lvl, query.dob.isoformat(), record.dob.isoformat(), _w(m, u2 or 1.0))
    lvl = "agree" if query.sex == record.sex else "disagree"
    m, u2 = SEX_LEVELS[lvl]
    f_sex = Feature("sex", lvl, query.sex, record.sex, _w(m, u2 or 1.0))
    feats = (f_sur, f_giv, f_dob, f_sex)
    score = sum(f.weight for f in feats)
    return Match(record.record_id, score, feats, score >= threshold)


class BiographicIndex:
    """A SYNTHETIC gallery of biographic records with blocking on surname phonetics and birth year."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = list(records)
        self.freq = Frequencies.of(self.records)
        self._block: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, r in enumerate(self.records):
            for key in self._keys(r):
                self._block[key].append(i)

    @staticmethod
    def _keys(r: Record) -> set[tuple[str, int]]:
        toks = [*_tokens(r.name.surnames), _norm(r.name.given)]
        return {(jellyfish.soundex(t), r.dob.year) for t in toks if t}

    def candidates(self, query: Record) -> list[Record]:
        seen: set[int] = set()
        for key in self._keys(query):
            seen.update(self._block.get(key, ()))
        return [self.records[i] for i in sorted(seen)]

    def search(self, query: Record, threshold: float = DEFAULT_THRESHOLD) -> Match | None:
        """Best-scoring candidate (None if no candidate shares a block); `is_match` applies the threshold."""
        best: Match | None = None
        for rec in self.candidates(query):
            m = compare(query, rec, self.freq, threshold)
            if best is None or m.score > best.score:
                best = m
        return best
