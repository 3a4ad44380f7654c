"""When two names on ICE's lists are one agency: scored, explained links through ICE's renames.

ICE corrects typos and renames agencies in its list ("Macro Island" -> "Marco Island", "Dimmit Couny"
-> "Dimmit County", "Sheriff's Office" -> "Sheriff's Department"). Read naively, each correction is an
agreement ending and a new one starting. This module decides, pair by pair, when the agreement listed
under an older name continues under a newer one.

A pair is only considered when it could be a rename at all (the blocking rule): same state and model,
the older listing has stopped, and the newer one first appears after the older one's first sighting and
no later than a week after the first complete list without it. Each considered pair is then scored by
an explicit rule set (Fellegi-Sunter style points, listed in `_score`), names are compared with
rapidfuzz and jellyfish after setting aside generic words, and places are checked with the geocoder.
Some differences keep two agencies apart whatever the score (another place, a county against a city,
a different place name). A reviewed decisions file can force or forbid a link; every decision carries
its evidence.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jellyfish
import yaml
from rapidfuzz import fuzz

from sharemap import settings
from sharemap.errors import InputError
from sharemap.kb.jurisdictions import jurisdiction
from sharemap.kb.model import Model287g
from sharemap.ledger import geo

DECISIONS_FILE = settings.DATA_DIR / "ledger" / "agency_links.yaml"
LINK_SCORE = 5
"""A pair scoring at least this many points (and with no disqualifying difference) is one agency."""
WINDOW = dt.timedelta(days=7)
"""How long after the first complete list without the older name the newer one may first appear."""
OVERLAP = dt.timedelta(days=31)
"""How long before the older name's last sighting the newer one may already be listed (both at once)."""


@dataclass(frozen=True)
class Listing:
    """One agreement as listed under one name, before any linking."""

    agreement_id: str
    agency_key: str
    state: str
    name: str
    model: Model287g
    signed: dt.date | None
    moa_url: str | None
    first_seen: dt.date
    last_seen: dt.date
    ended_on: dt.date | None
    """First complete list without it; None while it is still listed."""
    snapshot_count: int


@dataclass(frozen=True)
class Decision:
    """A reviewed decision: these two names are (or are not) the same agency."""

    state: str
    names: tuple[str, str]
    same: bool
    reason: str
    reviewed: dt.date

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(agency_key(self.state, n) for n in self.names)


@dataclass(frozen=True)
class Link:
    """A considered pair: an older listing and a newer one, the points and the decision."""

    older: Listing
    newer: Listing
    score: int
    evidence: tuple[str, ...]
    same: bool
    decided_by: str
    """'rules' or 'review' (the decisions file)."""
    reason: str
    same_agency: bool = True
    """False when the names are different kinds of agency (a sheriff and the county board running the
    jail) or in different states: the agreement continues under the newer name, the agencies stay apart."""


@dataclass
class Linkage:
    canonical: dict[str, str]
    """Every agency key that was merged, mapped to the key of the agency it belongs to."""
    owners: dict[str, tuple[str, dt.date | None]] = field(default_factory=dict)
    """Listings (raw agreement ids) that belong to another listing's agreement -> (its agency, and the
    signed date when the listing had none)."""
    links: list[Link] = field(default_factory=list)


def load_decisions(path: Path = DECISIONS_FILE) -> list[Decision]:
    """The reviewed decisions file; a clear error names the entry that is malformed."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=path) from exc
    out = []
    for i, entry in enumerate(data.get("decisions") or [], start=1):
        try:
            names = tuple(entry["names"])
            if len(names) != 2 or not all(isinstance(n, str) and n.strip() for n in names):
                raise ValueError("names must be two agency names")
            reviewed = entry["reviewed"]
            if not isinstance(reviewed, dt.date):
                raise ValueError("reviewed must be a date (YYYY-MM-DD)")
            out.append(
                Decision(
                    state=geo.state_code(str(entry["state"])),
                    names=(names[0], names[1]),
                    same=bool(entry["same"]),
                    reason=str(entry["reason"]).strip(),
                    reviewed=reviewed,
                )
            )
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise InputError(
                f"decision {i} is malformed: {exc}",
                file=path,
                row=i,
                expected="state, names (two), same (true/false), reason, reviewed (date)",
            ) from exc
    return out


# --- names -----------------------------------------------------------------------------------------

_ABBREVIATIONS = [
    (r"\bsheriff'?s'?\b", "sheriff"),
    (r"\bdept\b\.?", "department"),
    (r"\bco\b\.?", "county"),
    (r"\bpd\b", "police department"),
    (r"\bso\b", "sheriff office"),
    (r"\bst\b\.?", "saint"),
    (r"\bft\b\.?", "fort"),
    (r"\bmt\b\.?", "mount"),
    (r"&", " and "),
    (r"\bthe\b", " "),
]


@functools.lru_cache(maxsize=65536)
def agency_key(state: str, name: str) -> str:
    """A spelling-insensitive key: case, accents, apostrophes, "Sheriffs"/"Sheriff's", abbreviations."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("`", "'").replace("\u2019", "'")
    for pattern, repl in _ABBREVIATIONS:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return f"{state.lower()}-{text.replace(' ', '-')}"


_EXPAND = {
    "dept": "department",
    "co": "county",
    "pd": "police department",
    "so": "sheriff office",
    "sheriffs": "sheriff",
    "dps": "department public safety",
    "bocc": "board county commissioners",
    "twp": "township",
    "st": "saint",
    "ft": "fort",
    "mt": "mount",
    "&": "and",
}
_GENERIC = frozenset({"office", "department", "the", "of", "and", "division", "authority"})
_KIND_WORDS = frozenset(
    {
        "sheriff", "police", "constable", "constables", "marshal", "marshals", "attorney", "attorneys",
        "prosecutor", "corrections", "correctional", "jail", "detention", "prison", "patrol", "highway",
        "trooper", "troopers", "public", "safety", "board", "commissioners", "commission", "security",
    }
)  # fmt: skip
_PLACE_TYPES = frozenset({"county", "city", "town", "township", "borough", "village", "parish", "state"})
_VOCABULARY = _GENERIC | _KIND_WORDS | _PLACE_TYPES


@dataclass(frozen=True)
class _Name:
    core: tuple[str, ...]
    """The words that name the place or body, in order ('marco island')."""
    place_types: frozenset[str]
    words: str


@functools.lru_cache(maxsize=16384)
def _parse(state: str, name: str) -> _Name:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['`\u2019]", "", text).replace("&", " & ")
    tokens = [t for t in re.split(r"[^a-z0-9&]+", text) if t]
    prefix = _state_words(state)
    if prefix and tokens[: len(prefix)] == prefix:
        tokens = tokens[len(prefix) :]
    elif tokens and tokens[0] == state.lower():
        tokens = tokens[1:]
    words = [w for t in tokens for w in _EXPAND.get(t, t).split()]
    words = [_vocabulary_word(w) for w in words]
    core = tuple(w for w in words if w not in _VOCABULARY)
    return _Name(core, frozenset(w for w in words if w in _PLACE_TYPES), " ".join(words))


@functools.lru_cache(maxsize=64)
def _state_words(state: str) -> list[str]:
    found = jurisdiction(state)
    return found.name.lower().split() if found is not None else []


def _vocabulary_word(word: str) -> str:
    """A misspelt generic word ('couny', 'departent', 'offic') read as the word it spells."""
    if word in _VOCABULARY or len(word) < 5:
        return word
    best = max(_VOCABULARY, key=lambda v: jellyfish.jaro_winkler_similarity(word, v))
    close = jellyfish.jaro_winkler_similarity(word, best) >= 0.92 and abs(len(best) - len(word)) <= 2
    return best if close else word


def _token_typo(a: str, b: str) -> float:
    """How close two place words are: 1 equal, else Jaro-Winkler (0 when too short to judge)."""
    if a == b:
        return 1.0
    if a.rstrip("s") == b.rstrip("s"):
        return 0.97  # plural or possessive slip: 'lyons' / 'lyon'
    if min(len(a), len(b)) < 5:
        return 0.0
    return jellyfish.jaro_winkler_similarity(a, b)


def _moa_file(url: str | None) -> str | None:
    return url.rsplit("/", 1)[-1].strip().lower() if url else None


# --- scoring ---------------------------------------------------------------------------------------


def _place(listing: Listing) -> geo.Placement:
    return _locate(_spelt_out(listing.name, listing.state), listing.state)


def _spelt_out(name: str, state: str) -> str:
    """'MT Dept of Justice' -> 'Montana Dept of Justice', so the geocoder sees a state agency."""
    words = name.split()
    if words and words[0].upper() == state and _state_words(state):
        return " ".join([*(w.title() for w in _state_words(state)), *words[1:]])
    return name


@functools.lru_cache(maxsize=8192)
def _locate(name: str, state: str) -> geo.Placement:
    return geo.locate(name, state)


def _misspelt_place(p: geo.Placement) -> bool:
    """The geocoder found no such county or place, or found it only by correcting the spelling."""
    reason, note = p.reason or "", p.note or ""
    return "is not a county" in reason or "no Census place" in reason or "spelling corrected" in note


def _same_kind(old: Listing, new: Listing) -> bool:
    kind = geo.classify_kind
    return kind(_spelt_out(old.name, old.state), None) == kind(_spelt_out(new.name, new.state), None)


def _score(old: Listing, new: Listing) -> tuple[int, list[str], str | None]:
    """Points for and against 'one agency', the evidence, and a disqualifying difference if any.

    signed date equal +3 (different -3); same MOA document +3 (different -1); names equal once generic
    words are set aside +3, or equal but for a misspelling +2 (a near-miss +1 only when the older name
    names no real place); same kind of agency +1 (different -4); both names place it in the same
    county +1; the newer name first listed on or right after the first list without the older +1.
    """
    points, evidence = 0, []

    def add(n: int, text: str) -> None:
        nonlocal points
        points += n
        evidence.append(f"{text} ({n:+d})")

    a, b = _parse(old.state, old.name), _parse(new.state, new.name)
    if a.place_types and b.place_types and a.place_types != b.place_types:
        kinds = f"{'/'.join(sorted(a.place_types))} against {'/'.join(sorted(b.place_types))}"
        return 0, evidence, f"different kinds of place: {kinds}"
    if len(a.core) != len(b.core):
        extra = sorted(set(a.core) ^ set(b.core))
        return (
            0,
            evidence,
            f"different names: {' '.join(a.core)!r} and {' '.join(b.core)!r} ({', '.join(extra)})",
        )
    pa, pb = _place(old), _place(new)
    if old.state == new.state and pa.county_fips and pb.county_fips and pa.county_fips != pb.county_fips:
        return 0, evidence, f"different places: {pa.county_name} and {pb.county_name}"

    if old.signed and new.signed:
        if old.signed == new.signed:
            add(3, f"same signed date {old.signed}")
        else:
            add(-3, f"signed dates differ: {old.signed} and {new.signed}")
    fa, fb = _moa_file(old.moa_url), _moa_file(new.moa_url)
    if fa and fb and fa == fb:
        add(3, f"same MOA document {fa}")
    elif fa and fb:
        add(-1, f"different MOA documents {fa}, {fb}")

    old_unplaced = _misspelt_place(pa)
    similarity = min((_token_typo(x, y) for x, y in zip(a.core, b.core, strict=True)), default=1.0)
    if a.core == b.core:
        add(3, f"same name once generic words are set aside: {' '.join(a.core) or '(none)'}")
    elif similarity >= 0.94:
        add(2, f"names equal but for a misspelling: {' '.join(a.core)!r} ~ {' '.join(b.core)!r}")
    elif similarity >= 0.85 and old_unplaced:
        add(1, f"names close ({similarity:.2f}) and the older one names no real place")
    else:
        return points, evidence, f"different names: {' '.join(a.core)!r} and {' '.join(b.core)!r}"
    if old_unplaced and pb.mapped and not _misspelt_place(pb):
        add(1, f"the older name names no real place ({pa.reason or pa.note}); the newer one does")

    if _same_kind(old, new):
        add(1, f"same kind of agency: {geo.classify_kind(_spelt_out(old.name, old.state), None).value}")
    else:
        add(-4, "different kinds of agency: the agreement may move, the agencies stay apart")
    if pa.county_fips and pa.county_fips == pb.county_fips:
        add(1, f"both names place it in {pa.county_name} ({pa.county_fips})")
    elif pa.statewide and pb.statewide:
        add(1, "both names are statewide agencies")
    if new.first_seen > old.last_seen:
        add(1, f"the newer name first listed {new.first_seen}, the older last listed {old.last_seen}")
    else:
        start = max(new.first_seen, old.first_seen)
        evidence.append(
            f"both names listed together from {start} to {min(old.last_seen, new.last_seen)} (+0)"
        )
    if old.state != new.state:
        evidence.append(f"ICE's STATE column changed from {old.state} to {new.state} (+0)")
    score = fuzz.token_set_ratio(a.words, b.words)
    evidence.append(f"name similarity {score:.0f}/100 (information only)")
    return points, evidence, None


def _candidates(listings: Sequence[Listing]) -> Iterable[tuple[Listing, Listing]]:
    """Pairs that could be one agreement: the first stopped being listed, the second went on.

    Same model; the second first listed no later than a week after the first complete list without
    the first, and either within a month before its last sighting (a rename) or before its first (a
    passing duplicate row). Across states only for the same name and signed date (ICE correcting the
    STATE column: 'Crow Wing County' listed in MA, then MN).
    """
    by_model: dict[Model287g, list[Listing]] = defaultdict(list)
    for item in listings:
        by_model[item.model].append(item)
    for block in by_model.values():
        block.sort(key=lambda x: x.first_seen)
        by_name: dict[str, list[Listing]] = defaultdict(list)
        for item in block:
            by_name[_stateless(item.agency_key)].append(item)
        by_state: dict[str, list[Listing]] = defaultdict(list)
        for item in block:
            by_state[item.state].append(item)
        for old in block:
            if old.ended_on is None:
                continue
            limit = old.ended_on + WINDOW
            moved = [
                x
                for x in by_name[_stateless(old.agency_key)]
                if x.state != old.state and old.signed is not None and x.signed == old.signed
            ]
            for new in [*by_state[old.state], *moved]:
                if new.agency_key == old.agency_key or new.first_seen > limit:
                    continue
                if new.last_seen <= old.last_seen and new.ended_on is not None:
                    continue  # stopped as early: not a continuation
                renamed = old.first_seen < new.first_seen and new.first_seen >= old.last_seen - OVERLAP
                if renamed or (new.first_seen <= old.first_seen and new.state == old.state):
                    yield old, new


def _stateless(key: str) -> str:
    return key.split("-", 1)[-1]


def link(listings: Sequence[Listing], decisions: Sequence[Decision] = ()) -> Linkage:
    """Decide which names are one agency; returns the merge map and every considered pair."""
    reviewed = {d.keys: d for d in decisions}
    best: dict[str, Link] = {}
    considered: list[Link] = []
    for old, new in _candidates(listings):
        decision = reviewed.get(frozenset((old.agency_key, new.agency_key)))
        points, evidence, veto = _score(old, new)
        kind = _same_kind(old, new) and old.state == new.state
        if decision is not None:
            item = Link(old, new, points, tuple(evidence), decision.same, "review", decision.reason, kind)
        elif veto is not None:
            if not _alike(old, new):
                continue  # not worth listing: plainly other agencies
            item = Link(old, new, points, tuple(evidence), False, "rules", veto, kind)
        else:
            same = points >= LINK_SCORE
            why = f"{points} points, {'at least' if same else 'below'} the {LINK_SCORE} needed"
            item = Link(old, new, points, tuple(evidence), same, "rules", why, kind)
        considered.append(item)
        if item.same and (old.agreement_id not in best or item.score > best[old.agreement_id].score):
            best[old.agreement_id] = item
    chosen = {id(x) for x in best.values()}
    links = [x if id(x) in chosen or not x.same else _runner_up(x) for x in considered]
    accepted = [x for x in links if x.same]
    canonical = _merge(listings, accepted, [d for d in decisions if d.same])
    return Linkage(canonical, _owners(accepted, canonical), links)


def _alike(old: Listing, new: Listing) -> bool:
    """Names a reader could take for one agency: worth listing with the reason they were kept apart."""
    a, b = _parse(old.state, old.name), _parse(new.state, new.name)
    return fuzz.ratio(" ".join(a.core), " ".join(b.core)) >= 75


def _runner_up(item: Link) -> Link:
    """A pair that qualified but lost to a better-scoring newer name for the same older listing."""
    why = f"{item.reason}; another newer name scored higher"
    return Link(
        item.older, item.newer, item.score, item.evidence, False, item.decided_by, why, item.same_agency
    )


def _components(pairs: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Connected groups of the linked items (union-find)."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        root = k
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(k, k) != root:
            parent[k], k = root, parent[k]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, set[str]] = defaultdict(set)
    for k in list(parent):
        groups[find(k)].add(k)
    for root in list(groups):
        groups[root].add(root)
    return list(groups.values())


def _merge(listings: Sequence[Listing], links: Sequence[Link], forced: Sequence[Decision]) -> dict[str, str]:
    """Union the agency keys of one agency; each group is named by its most recently listed key."""
    present = {x.agency_key for x in listings}
    pairs = [(x.older.agency_key, x.newer.agency_key) for x in links if x.same_agency]
    pairs += [tuple(sorted(d.keys)) for d in forced if d.keys <= present and len(d.keys) == 2]  # type: ignore[misc]
    last: dict[str, tuple[dt.date, int, str]] = {}
    for x in listings:
        prev = last.get(x.agency_key, (dt.date.min, 0, x.agency_key))
        last[x.agency_key] = (max(prev[0], x.last_seen), prev[1] + x.snapshot_count, x.agency_key)
    canonical: dict[str, str] = {}
    for members in _components(pairs):
        head = max(members, key=lambda k: last.get(k, (dt.date.min, 0, k)))
        canonical.update({k: head for k in members})
    return canonical


def _owners(links: Sequence[Link], canonical: dict[str, str]) -> dict[str, tuple[str, dt.date | None]]:
    """Listings that belong to another listing's agreement: raw id -> (agency, signed date).

    The agency is that of the group's most recent listing: ICE may move a row to the body that holds
    the agreement (a sheriff's office to the county board running the jail) or to the right state.
    A listing without a signed date takes the date the later listing gives.
    """
    latest: dict[str, Listing] = {}
    for x in links:
        for item in (x.older, x.newer):
            latest[item.agreement_id] = item
    owners: dict[str, tuple[str, dt.date | None]] = {}
    for members in _components((x.older.agreement_id, x.newer.agreement_id) for x in links):
        head = max((latest[m] for m in members), key=lambda x: (x.last_seen, x.first_seen))
        owner = canonical.get(head.agency_key, head.agency_key)
        for m in members:
            item = latest[m]
            signed = head.signed if item.signed is None else None
            if canonical.get(item.agency_key, item.agency_key) != owner or signed is not None:
                owners[m] = (owner, signed)
    return owners
