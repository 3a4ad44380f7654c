"""The channel graph, instantiated for a place and a date.

`instantiate(place, date, agreements, rule_fn)` is pure: it takes the knowledge base, the 287(g)
agreements of the place (from the ledger, or built by hand in tests) and a law-engine function, and
marks every channel:

  open           the hop exists here on that date and nothing in the law closes it
  conditional    it exists, but only under conditions (law conditions, a vendor sharing setting,
                 a court ruling limiting what may be shared)
  closed_by_law  a provision in force (or a court order recorded in the KB) prohibits it
  unknown        the law could not be asked, or a court order's later fate is not in the KB
  inactive       it does not exist here on that date (needs a 287(g) model the place does not
                 have, or a programme not yet started or ended)

Every status comes with its reason, the agreements that enable it and the law engine's rulings.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import networkx as nx

from sharemap.flows.words import agreement_words
from sharemap.kb.facts import Carry, Channel, Direction, Encounter, KnowledgeBase, Mode, SystemSide
from sharemap.kb.load import Problem, load_kb
from sharemap.kb.model import Agreement, Model287g, Place
from sharemap.law.engine import Context, Ruling
from sharemap.law.engine import rule as law_rule
from sharemap.law.labels import action_label, effect_label
from sharemap.law.vocab import (
    Action,
    Actor,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    action_for_287g,
)
from sharemap.ledger.query import STATEWIDE_MODELS, in_force_on
from sharemap.sharing import evidence as sharing_evidence
from sharemap.sharing.orgs import STATE_CODES

RuleFn = Callable[[str, Any, Any, dt.date, Any], Ruling]


class EdgeStatus(StrEnum):
    OPEN = "open"
    CONDITIONAL = "conditional"
    CLOSED_BY_LAW = "closed_by_law"
    UNKNOWN = "unknown"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# Worst first: a path takes the status of its worst hop.
STATUS_RANK = {
    EdgeStatus.INACTIVE: 0,
    EdgeStatus.CLOSED_BY_LAW: 1,
    EdgeStatus.UNKNOWN: 2,
    EdgeStatus.CONDITIONAL: 3,
    EdgeStatus.OPEN: 4,
}
REACHES = frozenset({EdgeStatus.OPEN, EdgeStatus.CONDITIONAL})

# Most restrictive first, for channels that ask about several actions.
_EFFECT_RANK = {
    Effect.PROHIBITED: 0,
    Effect.REQUIRED: 1,
    Effect.PERMITTED_WITH_CONDITIONS: 2,
    Effect.PERMITTED: 3,
    Effect.NO_PROVISION: 4,
    Effect.NOT_RESEARCHED: 4,
}

_CONTEXT_FIELDS: dict[str, type[StrEnum]] = {
    "legal_process": LegalProcess,
    "purpose": Purpose,
    "recipient": Recipient,
    "data": DataKind,
}


# --- places --------------------------------------------------------------------------------------
# A trace is asked about the ledger's one `Place` (`sharemap.kb.model.Place`: the nation, a state, a
# county or an agency), made by `sharemap.ledger.place` (its resolver and constructors).


def agreement_active(a: Agreement, day: dt.date) -> bool:
    """True if the agreement is in force on `day`: signed (or first listed) on or before it, and not
    ended before it. An agreement that dropped off ICE's list without an end date counts as ended the
    day after it was last seen. (The ledger's rule, `ledger.query.in_force_on`, stated once.)"""
    return in_force_on(a, day)


JAIL_MODELS = frozenset({Model287g.JEM, Model287g.WSO})


def agreements_for_county(
    county: Iterable[Agreement], statewide: Iterable[Agreement]
) -> tuple[Agreement, ...]:
    """The agreements that shape a county's channels: those of agencies placed in the county, plus the
    Task Force agreements of statewide agencies (which may act anywhere in the state). Statewide Jail
    Enforcement and Warrant Service agreements are left out: those models work inside the signing
    agency's own facilities (a state prison, say), not in the county jail. The rule is the ledger's
    (`ledger.query.STATEWIDE_MODELS`, used by `query.covering` for every count)."""
    return (*county, *(a for a in statewide if a.model in STATEWIDE_MODELS))


def _actor_for_agency(name: str) -> Actor:
    return Actor.SHERIFF if "sheriff" in name.lower() or "jail" in name.lower() else Actor.LOCAL_POLICE


# --- law -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HopRuling:
    """What the law engine said about one action of a channel."""

    action: str
    actor: str
    effect: Effect
    provisions: tuple[str, ...]
    citations: tuple[str, ...]
    conditions: tuple[str, ...]
    verification: str | None

    @classmethod
    def of(cls, r: Ruling) -> HopRuling:
        return cls(
            action=r.action.value,
            actor=r.actor.value,
            effect=r.effect,
            provisions=r.provision_ids,
            citations=tuple(p.citation for p in r.provisions),
            conditions=tuple(f"{c.role}: {c.text}" for c in r.conditions if c.role != "obligation"),
            verification=r.verification.value if r.verification else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": self.actor,
            "effect": self.effect.value,
            "provisions": list(self.provisions),
            "citations": list(self.citations),
            "conditions": list(self.conditions),
            "verification": self.verification,
        }


class CachedRules:
    """A law-engine function with a memo: rulings depend only on (state, actor, action, date, context),
    so one instance shared across counties asks each question once per state."""

    def __init__(self, rule_fn: RuleFn = law_rule) -> None:
        self.rule_fn = rule_fn
        self._memo: dict[tuple[Any, ...], HopRuling] = {}

    def __call__(self, state: str, actor: str, action: str, day: dt.date, ctx: Context) -> HopRuling:
        key = (state, actor, action, day, ctx)
        hit = self._memo.get(key)
        if hit is None:
            hit = HopRuling.of(self.rule_fn(state, actor, action, day, ctx))
            self._memo[key] = hit
        return hit


@functools.lru_cache(maxsize=256)
def _context(items: tuple[tuple[str, str], ...]) -> Context:
    kwargs: dict[str, Any] = {}
    for k, v in items:
        if k in _CONTEXT_FIELDS:
            kwargs[k] = _CONTEXT_FIELDS[k](v)
        else:
            kwargs[k] = v in ("true", "yes", "1")
    return Context(**kwargs)


def check_law_hooks(kb: KnowledgeBase) -> list[Problem]:
    """Channels must name actors, actions and context values the law engine knows."""
    out: list[Problem] = []
    for cid, ch in kb.channels.items():
        if ch.law is None:
            continue
        try:
            Actor(ch.law.actor)
        except ValueError:
            out.append(Problem("channels.yaml", cid, "law.actor", f"unknown law actor {ch.law.actor!r}"))
        for a in ch.law.actions:
            try:
                Action(a)
            except ValueError:
                out.append(Problem("channels.yaml", cid, "law.actions", f"unknown law action {a!r}"))
        try:
            _context(tuple(sorted(ch.law.context.items())))
        except (ValueError, TypeError) as exc:
            out.append(Problem("channels.yaml", cid, "law.context", f"bad context: {exc}"))
    return out


# --- instantiated graph --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EdgeState:
    """One channel as it stands at a place on a date."""

    channel: Channel
    status: EdgeStatus
    reason: str
    rulings: tuple[HopRuling, ...] = ()
    agreements: tuple[str, ...] = ()
    required: bool = False
    carries: tuple[Carry, ...] = ()
    evidence: tuple[str, ...] = ()
    """What records show in practice (plate-reader portals), beside what the law says."""

    @property
    def id(self) -> str:
        return self.channel.id

    @property
    def forward(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.element for c in self.carries if c.direction is Direction.FORWARD))

    @property
    def back(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.element for c in self.carries if c.direction is Direction.BACK))

    @property
    def local_can_decline(self) -> bool | None:
        if self.required:
            return False
        return self.channel.local_can_decline

    def to_dict(self) -> dict[str, Any]:
        ch = self.channel
        return {
            "channel": ch.id,
            "name": ch.name,
            "from": ch.from_system,
            "to": ch.to_system,
            "mode": ch.mode.value,
            "status": self.status.value,
            "reason": self.reason,
            "required_by_law": self.required,
            "local_can_decline": self.local_can_decline,
            "agreements": list(self.agreements),
            "rulings": [r.to_dict() for r in self.rulings],  # HopRuling: ids, citations, conditions
            "carries_to": list(self.forward),
            "carries_back": list(self.back),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PlaceGraph:
    """The KB's channels marked for one place and date."""

    kb: KnowledgeBase
    place: Place
    date: dt.date
    edges: Mapping[str, EdgeState]
    agreements: tuple[Agreement, ...]
    models: frozenset[Model287g]
    _nx: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def graph(self) -> Any:
        """The networkx MultiDiGraph: nodes are systems, edges (key = channel id) carry `state`."""
        if not self._nx:
            g = nx.MultiDiGraph(place=self.place.label, date=self.date.isoformat())
            for sid, s in self.kb.systems.items():
                g.add_node(sid, name=s.name, side=s.side.value)
            for cid, st in self.edges.items():
                g.add_edge(
                    st.channel.from_system, st.channel.to_system, key=cid, state=st, status=st.status.value
                )
            self._nx.append(g)
        return self._nx[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place.to_dict(),
            "date": self.date.isoformat(),
            "agreements": [agreement_words(a) for a in self.agreements],
            "models": sorted(m.value for m in self.models),
            "channels": [e.to_dict() for e in self.edges.values()],
        }


def _period_at(ch: Channel, day: dt.date) -> tuple[str | None, str]:
    """(state, note) of the channel's last dated change on or before `day`; ('before', ...) if none yet."""
    current = None
    for p in ch.periods:
        if p.start <= day:
            current = p
    if current is None:
        if ch.periods:
            first = ch.periods[0]
            return "before", f"not in place before {first.start.isoformat()} ({first.note})"
        return None, ""
    return current.state, f"{current.state} since {current.start.isoformat()}: {current.note}"


def _carries_at(ch: Channel, day: dt.date) -> tuple[Carry, ...]:
    return tuple(
        c
        for c in ch.carries
        if (c.valid_from is None or c.valid_from <= day) and (c.valid_to is None or day < c.valid_to)
    )


def _rule_text(r: HopRuling) -> str:
    """A ruling in plain words with its legal citations (the provision ids stay in `rulings`)."""
    cites = "; ".join(dict.fromkeys(r.citations)) if r.citations else "no coded provision"
    return f"{action_label(Action(r.action))}: {effect_label(r.effect)} ({cites})"


def _rules_text(rulings: Iterable[HopRuling]) -> str:
    """Rulings in words, each distinct text once (several agreements may ask the same question)."""
    return "; ".join(dict.fromkeys(map(_rule_text, rulings)))


ENABLING_NAMED = 3
"""Agreements named in a reason before "and N more" (a state-level trace may have hundreds)."""


def _enabled_text(enabling: Sequence[str]) -> str:
    if len(enabling) <= ENABLING_NAMED:
        return "enabled by " + "; ".join(enabling)
    named = "; ".join(enabling[:ENABLING_NAMED])
    return (
        f"enabled by {len(enabling)} agreements in force: {named}; and {len(enabling) - ENABLING_NAMED} more"
    )


def _edge_state(
    ch: Channel,
    place: Place,
    day: dt.date,
    active: Sequence[Agreement],
    rules: CachedRules | None,
) -> EdgeState:
    """How one channel stands: its dated period, then the 287(g) agreement it needs (and whether the
    state allows it), then the law's rulings on its actions, then the conditions left."""
    carries = _carries_at(ch, day)
    period, period_note = _period_at(ch, day)
    if period in ("before", "ended"):
        return EdgeState(ch, EdgeStatus.INACTIVE, period_note, carries=carries)
    gate = _agreement_gate(ch, place, day, active, rules, carries)
    if isinstance(gate, EdgeState):
        return gate
    enabling, rulings = gate
    effect = _law_gate(ch, place, day, rules, carries, enabling, rulings)
    if isinstance(effect, EdgeState):
        return effect
    if period == "enjoined":
        return EdgeState(
            ch,
            EdgeStatus.UNKNOWN,
            f"{period_note}; the law engine does not close it"
            + (f" ({_rules_text(rulings)})" if rulings else ""),
            rulings=tuple(rulings),
            agreements=enabling,
            carries=carries,
        )
    return _standing(ch, period == "limited", period_note, effect, rulings, enabling, carries)


def _agreement_gate(
    ch: Channel,
    place: Place,
    day: dt.date,
    active: Sequence[Agreement],
    rules: CachedRules | None,
    carries: tuple[Carry, ...],
) -> EdgeState | tuple[tuple[str, ...], list[HopRuling]]:
    """A channel that needs a 287(g) model: not in place without one, closed if the state bans every
    agreement that would enable it; otherwise the enabling agreements and the rulings asked."""
    rulings: list[HopRuling] = []
    if not ch.requires_287g:
        return (), rulings
    need = set(ch.requires_287g)
    holders = [a for a in active if a.model in need]
    if not holders:
        models = " or ".join(m.label for m in ch.requires_287g)
        return EdgeState(
            ch,
            EdgeStatus.INACTIVE,
            f"needs a 287(g) {models} agreement; none in force here on {day.isoformat()}",
            carries=carries,
        )
    enabling = tuple(agreement_words(a) for a in holders)
    if rules is None:
        return enabling, rulings
    allowed = []
    for a in holders:
        r = _ask(rules, place.state, _actor_for_agency(a.agency_name), action_for_287g(a.model), day, ())
        if isinstance(r, str):
            return EdgeState(ch, EdgeStatus.UNKNOWN, r, agreements=enabling, carries=carries)
        rulings.append(r)
        if r.effect is not Effect.PROHIBITED:
            allowed.append(a)
    if not allowed:
        why = "an agreement is listed but state law prohibits it: " + _rules_text(rulings)
        return _closed(ch, why, rulings, enabling, carries)
    return enabling, rulings


def _law_gate(
    ch: Channel,
    place: Place,
    day: dt.date,
    rules: CachedRules | None,
    carries: tuple[Carry, ...],
    enabling: tuple[str, ...],
    rulings: list[HopRuling],
) -> EdgeState | Effect | None:
    """The law hook's rulings (added to `rulings`): the most restrictive effect, or the channel closed
    (or unknown when the engine cannot be asked). None when the channel has no law hook."""
    if ch.law is None:
        return None
    if rules is None:
        return EdgeState(
            ch, EdgeStatus.UNKNOWN, "law engine not consulted", agreements=enabling, carries=carries
        )
    ctx_items = tuple(sorted(ch.law.context.items()))
    hook_rulings: list[HopRuling] = []
    for action in ch.law.actions:
        r = _ask(rules, place.state, ch.law.actor, action, day, ctx_items)
        if isinstance(r, str):
            return EdgeState(
                ch, EdgeStatus.UNKNOWN, r, rulings=tuple(rulings), agreements=enabling, carries=carries
            )
        hook_rulings.append(r)
    rulings.extend(hook_rulings)
    effect = min((r.effect for r in hook_rulings), key=_EFFECT_RANK.__getitem__)
    if effect is Effect.PROHIBITED:
        closing = [r for r in hook_rulings if r.effect is Effect.PROHIBITED]
        return _closed(ch, "closed by law: " + _rules_text(closing), rulings, enabling, carries)
    return effect


def _closed(
    ch: Channel, why: str, rulings: list[HopRuling], enabling: tuple[str, ...], carries: tuple[Carry, ...]
) -> EdgeState:
    return EdgeState(
        ch, EdgeStatus.CLOSED_BY_LAW, why, rulings=tuple(rulings), agreements=enabling, carries=carries
    )


def _standing(
    ch: Channel,
    limited: bool,
    period_note: str,
    effect: Effect | None,
    rulings: list[HopRuling],
    enabling: tuple[str, ...],
    carries: tuple[Carry, ...],
) -> EdgeState:
    """An open or conditional channel, with every reason that shapes it."""
    required = effect is Effect.REQUIRED
    reasons: list[str] = []
    status = EdgeStatus.OPEN
    if limited:
        status = EdgeStatus.CONDITIONAL
        reasons.append(period_note)
    deciding = [r for r in rulings if r.effect is effect]
    if effect is Effect.PERMITTED_WITH_CONDITIONS:
        status = EdgeStatus.CONDITIONAL
        conds = sorted({c for r in deciding for c in r.conditions})
        reasons.append(
            "permitted with conditions: "
            + _rules_text(deciding)
            + (f" [{' | '.join(conds)}]" if conds else "")
        )
    if ch.vendor_setting:
        status = EdgeStatus.CONDITIONAL
        reasons.append(f"depends on a vendor or sharing setting: {ch.vendor_setting}")
    if required:
        reasons.insert(0, "required by law: " + _rules_text(deciding))
    elif effect is Effect.PERMITTED:
        reasons.append("permitted: " + _rules_text(deciding))
    elif effect is Effect.NO_PROVISION and status is EdgeStatus.OPEN:
        reasons.append("no state or federal provision coded for it; local policy decides")
    elif effect is Effect.NOT_RESEARCHED:
        reasons.append("the state's law on it has not been researched: what it says is unknown")
    if enabling:
        reasons.append(_enabled_text(enabling))
    if not reasons:
        reasons.append(
            "automatic once the systems are connected"
            if ch.mode is Mode.AUTOMATIC
            else "no legal bar recorded"
        )
    return EdgeState(
        ch,
        status,
        "; ".join(reasons),
        rulings=tuple(rulings),
        agreements=enabling,
        required=required,
        carries=carries,
    )


def _ask(
    rules: CachedRules,
    state: str,
    actor: str,
    action: str,
    day: dt.date,
    ctx_items: tuple[tuple[str, str], ...],
) -> HopRuling | str:
    try:
        return rules(state, actor, action, day, _context(ctx_items))
    except Exception as exc:  # the engine's own errors become an 'unknown' status with the reason
        return f"law engine could not rule on {action} for {actor} in {state}: {exc}"


def as_place(place: Place | str) -> Place:
    """A place, or a state code ('TX', or 'US' for the nation) read as one."""
    if isinstance(place, Place):
        return place
    from sharemap.ledger.place import NATION, state_place

    return NATION if place.upper() == "US" else state_place(place)


def instantiate(
    place: Place | str,
    date: dt.date,
    agreements: Iterable[Agreement] = (),
    rule_fn: RuleFn | CachedRules | None = law_rule,
    kb: KnowledgeBase | None = None,
) -> PlaceGraph:
    """Mark every channel of the KB for `place` on `date`.

    `agreements` are the place's 287(g) agreements (any date; only those in force on `date` count).
    `rule_fn` is the law engine's `rule` (default), a `CachedRules` shared across calls, or None to
    leave every law-dependent channel `unknown`.
    """
    kb = kb or load_kb()
    p = as_place(place)
    active = tuple(a for a in agreements if agreement_active(a, date))
    rules = rule_fn if isinstance(rule_fn, CachedRules) or rule_fn is None else CachedRules(rule_fn)
    edges = {cid: _edge_state(ch, p, date, active, rules) for cid, ch in kb.channels.items()}
    edges = _with_sharing_evidence(edges, p, date)
    return PlaceGraph(
        kb=kb,
        place=p,
        date=date,
        edges=edges,
        agreements=active,
        models=frozenset(a.model for a in active),
    )


PLATE_READERS = "plate_reader_operator"


def _with_sharing_evidence(edges: dict[str, EdgeState], place: Place, day: dt.date) -> dict[str, EdgeState]:
    """Plate-reader channels also say what the agencies' own portals show (sharemap.sharing)."""
    alpr = [
        cid for cid, st in edges.items() if st.channel.law and st.channel.law.actor == "plate_reader_operator"
    ]
    if not alpr or place.state not in STATE_CODES:
        return edges
    seen = sharing_evidence(place.state, day, place.county_fips)
    note = "in practice: " + "; ".join(seen)
    for cid in alpr:
        st = edges[cid]
        if st.status is not EdgeStatus.INACTIVE:
            edges[cid] = replace(st, reason=f"{st.reason}; {note}", evidence=seen)
    return edges


# --- static structure: paths per encounter --------------------------------------------------------


def base_graph(kb: KnowledgeBase) -> Any:
    """The KB as a networkx MultiDiGraph (systems and channels), not yet instantiated."""
    g = nx.MultiDiGraph()
    for sid, s in kb.systems.items():
        g.add_node(sid, name=s.name, side=s.side.value)
    for cid, ch in kb.channels.items():
        g.add_edge(ch.from_system, ch.to_system, key=cid, encounters=tuple(e.value for e in ch.encounters))
    return g


_PATHS: dict[tuple[int, Encounter], tuple[KnowledgeBase, tuple[tuple[str, ...], ...]]] = {}


def encounter_paths(kb: KnowledgeBase, encounter: Encounter) -> tuple[tuple[str, ...], ...]:
    """Every simple path (as channel ids) from where the encounter starts to the first ICE system,
    using only channels that this encounter can set off. Computed once per KB and encounter."""
    key = (id(kb), encounter)
    hit = _PATHS.get(key)
    if hit is not None and hit[0] is kb:
        return hit[1]
    ice = {sid for sid, s in kb.systems.items() if s.side is SystemSide.ICE}
    g = nx.MultiDiGraph()
    for cid, ch in kb.channels.items():
        if encounter in ch.encounters and ch.from_system not in ice:
            g.add_edge(ch.from_system, ch.to_system, key=cid)
    spec = kb.encounters.get(encounter)
    starts = spec.starts_at if spec else ()
    out: list[tuple[str, ...]] = []
    targets = [t for t in ice if t in g]
    for s in starts:
        if s not in g or not targets:
            continue
        for edge_path in nx.all_simple_edge_paths(g, s, targets):
            out.append(tuple(k for _, _, k in edge_path))
    paths = tuple(sorted(set(out), key=lambda p: (len(p), p)))
    _PATHS[key] = (kb, paths)
    return paths
