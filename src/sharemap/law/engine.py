"""The ruling engine: is an act of cooperation with ICE prohibited, required or permitted, and why.

`rule(jurisdiction, actor, action, date, context)` is a pure function of its arguments and of the
provision set (the shipped one unless a `Law` is built from other provisions). How a ruling is decided:

1. Candidates are the provisions of the federal layer ("US") and of the jurisdiction that bind the
   actor for the action.
2. A candidate applies if it is in force on the date (effective dates, injunctions, superseding) and
   the request is in its scope (purpose, recipient, data kind). Provisions whose enactment is
   unconfirmed are shown in the trace but never applied.
3. Savings clauses (8 U.S.C. 1373/1644, `saves: true`) that apply set aside state and local
   prohibitions within their scope: only citizenship or immigration status information.
4. A prohibition or requirement whose exception is met does not bind; an excepted prohibition makes
   the act permitted with conditions (the exception is the condition). A conditional permission applies
   only if all its conditions are met.
5. The effect is the first class that has an applying provision: prohibited, required, permitted with
   conditions, permitted; otherwise no provision found (kept apart from permitted). The deciding
   provisions are the ones of that class.
6. If no provision of the state itself decided, and the state's law on the action's topic was not
   researched (law/coverage.yaml), the effect is `not_researched`: the federal provisions found are
   still listed, but the state's answer is unknown, never "permitted".

287(g) models: `enter_287g_any` means "at least one agreement, of any model". A duty to hold one
(Fla. Stat. 908.11, Texas SB 8) rules `required` for `enter_287g_any` and, for each model alone,
`permitted` (that model satisfies the duty; it is not itself required). A duty to hold a particular
model also requires "at least one". A ban, permission or conditional permission of `enter_287g_any`
reaches every model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, NoReturn

from sharemap.errors import InputError
from sharemap.law.coverage import Coverage, shipped_coverage
from sharemap.law.model import Condition, Injunction, Provision
from sharemap.law.vocab import (
    ACTION_DATA,
    ACTION_TOPIC,
    ACTIONS,
    ENTER_287G_ACTIONS,
    JURISDICTIONS,
    PERSUASIVE,
    Action,
    Actor,
    ConditionKind,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    Status,
    Verification,
    weakest,
)


@dataclass(frozen=True, slots=True)
class Context:
    """The facts of the request. The defaults describe the question sharemap is about: ICE asks,
    for civil immigration enforcement, with no legal document beyond what `legal_process` says.

    recipient None means the action's own recipient (out_of_state for share_alpr_out_of_state,
    otherwise federal); data None means the action's own data kind (release date for notify_release,
    plate reads for plate-reader sharing, ...). share_alpr_immigration always has the civil immigration
    enforcement purpose.
    """

    legal_process: LegalProcess = LegalProcess.NONE
    purpose: Purpose = Purpose.CIVIL_IMMIGRATION
    recipient: Recipient | None = None
    data: DataKind | None = None
    listed_conviction: bool = False
    consent: bool = False
    written_assurance: bool = False

    def __post_init__(self) -> None:
        # accept plain strings (YAML, CLI, JSON) and turn them into the vocabularies
        for name, enum in _CONTEXT_ENUMS.items():
            value = getattr(self, name)
            if value is not None and type(value) is not enum:
                object.__setattr__(self, name, _coerce(enum, value, name))

    def resolved(self, action: Action) -> Context:
        """The context with the action's implied recipient, data kind and purpose filled in."""
        spec = ACTIONS[action]
        recipient = spec.recipient or self.recipient or Recipient.FEDERAL
        purpose = spec.purpose or self.purpose
        data = self.data if self.data is not None else ACTION_DATA.get(action)
        if recipient is self.recipient and data is self.data and purpose is self.purpose:
            return self
        return replace(self, recipient=recipient, data=data, purpose=purpose)

    def fact(self, kind: ConditionKind) -> Any:
        return getattr(self, kind.value)


_CONTEXT_ENUMS: dict[str, Any] = {
    "legal_process": LegalProcess,
    "purpose": Purpose,
    "recipient": Recipient,
    "data": DataKind,
}
DEFAULT_CONTEXT = Context()


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """One exception or condition of a deciding provision, and whether the facts meet it.

    role is "exception", "condition" or "obligation" (an obligation is attached by the law and
    not tested against the facts: met is None).
    """

    provision_id: str
    role: str
    text: str
    met: bool | None


@dataclass(frozen=True, slots=True)
class TraceStep:
    """What the engine did with one candidate provision."""

    provision_id: str
    citation: str
    verdict: str  # a key of VERDICT_TEXT
    note: str


VERDICT_TEXT = {
    "applies": "applies",
    "excepted": "an exception is met, so it does not bind",
    "saved": "set aside by a federal savings clause (immigration status information only)",
    "conditions_unmet": "a condition of the permission is not met",
    "out_of_scope": "does not reach this purpose, recipient or data kind",
    "not_in_force": "not in force on this date",
    "unconfirmed": "enactment not confirmed: recorded, not applied",
    "enjoined": "blocked by a court order on this date",
    "persuasive": "persuasive only (an attorney-general opinion or guidance): it informs, it does not decide",
}


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of an uncertain ruling: the effect if a provision of doubtful date does (not) apply."""

    assumption: str
    effect: Effect
    provision_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ruling:
    """The answer: effect, the provisions that decided it, the conditions, and how it was reached."""

    jurisdiction: str
    actor: Actor
    action: Action
    date: dt.date
    context: Context
    effect: Effect
    provisions: tuple[Provision, ...]
    conditions: tuple[ConditionCheck, ...]
    verification: Verification | None
    steps: tuple[TraceStep, ...] = field(default=())
    coverage: str | None = None
    """The jurisdiction's research coverage note for the action's topic (when it bears on the ruling)."""
    readings: tuple[Reading, ...] = ()
    """For an `uncertain` ruling: the effect under each reading of the doubtful dates."""
    contested: tuple[str, ...] = ()
    """Notes on relied-on provisions whose validity is disputed in court (8 U.S.C. 1373)."""

    @property
    def provision_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.provisions)

    def explain(self) -> str:
        """How the ruling was decided, in words: the facts assumed, each provision by its citation
        with what it did, the conditions checked, and the result (the ids are in `to_dict`)."""
        ctx = self.context
        cites = {s.provision_id: s.citation for s in self.steps} | {p.id: p.citation for p in self.provisions}
        yes_no = {True: "yes", False: "no"}
        lines = [
            f"Facts assumed: legal process: {_plain(ctx.legal_process)}; purpose: {_plain(ctx.purpose)}; "
            f"recipient: {_plain(ctx.recipient) if ctx.recipient else 'not stated'}; "
            f"data: {_plain(ctx.data) if ctx.data else 'not stated'}; listed conviction: "
            f"{yes_no[ctx.listed_conviction]}; consent: {yes_no[ctx.consent]}; written assurance: "
            f"{yes_no[ctx.written_assurance]}"
        ]
        if not self.steps:
            lines.append("No federal or state provision in the rule base binds this actor for this action.")
        for i, step in enumerate(self.steps, 1):
            said = cite_ids(step.note, cites)
            note = f" ({_plain(said) if ' ' not in said else said})" if said else ""  # an effect's value
            lines.append(f"{i}. {step.citation}: {VERDICT_TEXT[step.verdict]}{note}")
        for c in self.conditions:
            mark = {True: "met", False: "not met", None: "attached"}[c.met]
            lines.append(f"   - {c.role} in {cites.get(c.provision_id, c.provision_id)}: {c.text} -> {mark}")
        if self.coverage:
            lines.append(f"State law: {cite_ids(self.coverage, cites)}")
        for rd in self.readings:
            decided = "; ".join(cites.get(i, i) for i in rd.provision_ids) or "no provision"
            lines.append(f"Reading {cite_ids(rd.assumption, cites)}: {_plain(rd.effect)} ({decided})")
        lines.extend(f"Validity contested: {note}" for note in self.contested)
        decided = "; ".join(dict.fromkeys(p.citation for p in self.provisions)) or "no provision"
        lines.append(f"Result: {_plain(self.effect)}, decided by {decided}")
        if self.verification is not None:
            lines.append(f"Weakest verification among the deciding provisions: {_plain(self.verification)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ruling as plain data (`labels.ruling_json` adds the question and answer in words)."""
        ctx = self.context
        return {
            "jurisdiction": self.jurisdiction,
            "actor": self.actor.value,
            "action": self.action.value,
            "date": self.date.isoformat(),
            "context": {
                "legal_process": ctx.legal_process.value,
                "purpose": ctx.purpose.value,
                "recipient": ctx.recipient.value if ctx.recipient else None,
                "data": ctx.data.value if ctx.data else None,
                "listed_conviction": ctx.listed_conviction,
                "consent": ctx.consent,
                "written_assurance": ctx.written_assurance,
            },
            "effect": self.effect.value,
            "coverage": self.coverage,
            "verification": self.verification.value if self.verification else None,
            "provisions": [
                {
                    "id": p.id,
                    "jurisdiction": p.jurisdiction,
                    "citation": p.citation,
                    "title": p.title,
                    "effect": p.effect.value,
                    "verification": p.verification.value,
                    "sources": [s.model_dump(mode="json", exclude_none=True) for s in p.sources],
                }
                for p in self.provisions
            ],
            "conditions": [
                {"provision": c.provision_id, "role": c.role, "text": c.text, "met": c.met}
                for c in self.conditions
            ],
            "trace": [
                {"provision": s.provision_id, "citation": s.citation, "verdict": s.verdict, "note": s.note}
                for s in self.steps
            ],
            "readings": [
                {"assumption": rd.assumption, "effect": rd.effect.value, "provisions": list(rd.provision_ids)}
                for rd in self.readings
            ],
            "contested": list(self.contested),
            "explanation": self.explain(),
        }


# --- compiled form of a provision, for fast evaluation -------------------------------------------

_VALUE_KINDS = frozenset(
    {ConditionKind.LEGAL_PROCESS, ConditionKind.PURPOSE, ConditionKind.RECIPIENT, ConditionKind.DATA}
)


def condition_met(cond: Condition, ctx: Context) -> bool:
    value = ctx.fact(cond.kind)
    if cond.kind in _VALUE_KINDS:
        return value is not None and value.value in cond.values
    return bool(value)


@dataclass(frozen=True, slots=True)
class _Rule:
    p: Provision
    effect: Effect
    """The provision's effect for the action it is indexed under (see the 287(g) note above)."""
    federal: bool
    start: dt.date
    end: dt.date | None  # first day it no longer applies (effective_to or injunction date)
    unconfirmed: bool
    purposes: frozenset[Purpose] | None
    recipients: frozenset[Recipient] | None
    data: frozenset[DataKind] | None

    note: str = ""
    persuasive: bool = False
    doubtful: bool = False
    """The stretch lies where only bounds of the provision's start or end are known."""

    @classmethod
    def of(cls, p: Provision, effect: Effect | None = None, note: str = "") -> tuple[_Rule, ...]:
        """One rule per stretch of dates the provision applies (injunctions cut the stretches, and
        uncertain start or end bounds make stretches of their own, marked doubtful)."""
        end = p.effective_to_latest or p.effective_to
        if p.status is Status.ENJOINED and p.status_since is not None:
            end = p.status_since if end is None else min(end, p.status_since)
        s = p.scope
        segments = _doubt_split(_segments(p.effective_from, end, p.injunctions), p)
        return tuple(
            cls(
                p=p,
                effect=effect or p.effect,
                note=note,
                persuasive=p.authority in PERSUASIVE,
                doubtful=doubtful,
                federal=p.jurisdiction == "US",
                start=start,
                end=stop,
                unconfirmed=p.status is Status.UNCONFIRMED,
                purposes=frozenset(s.purpose) or None,
                recipients=frozenset(s.recipient) or None,
                data=frozenset(s.data) or None,
            )
            for start, stop, doubtful in segments
        )

    def in_scope(self, ctx: Context) -> bool:
        if self.purposes is not None and ctx.purpose not in self.purposes:
            return False
        if self.recipients is not None and ctx.recipient not in self.recipients:
            return False
        return self.data is None or ctx.data in self.data


SATISFIES = "a duty to hold at least one 287(g) agreement: this model satisfies it but is not itself required"


def _segments(
    start: dt.date, end: dt.date | None, injunctions: Iterable[Injunction]
) -> list[tuple[dt.date, dt.date | None]]:
    """The stretches of [start, end) not covered by an injunction (at least one, maybe empty)."""
    out: list[tuple[dt.date, dt.date | None]] = [(start, end)]
    for inj in sorted(injunctions, key=lambda i: i.enjoined_from):
        nxt: list[tuple[dt.date, dt.date | None]] = []
        for a, b in out:
            after_it = b is not None and inj.enjoined_from >= b
            if after_it or (inj.enjoined_to is not None and inj.enjoined_to <= a):
                nxt.append((a, b))
                continue
            if inj.enjoined_from > a:
                nxt.append((a, inj.enjoined_from))
            if inj.enjoined_to is not None and (b is None or inj.enjoined_to < b):
                nxt.append((max(a, inj.enjoined_to), b))
        out = nxt
    return out or [(start, start)]


def _doubt_split(
    segments: list[tuple[dt.date, dt.date | None]], p: Provision
) -> list[tuple[dt.date, dt.date | None, bool]]:
    """Cut the stretches where the start or end is only known within bounds, and mark those."""
    cuts = sorted(
        d
        for d in (p.effective_from_latest, p.effective_to if p.effective_to_latest else None)
        if d is not None
    )
    out: list[tuple[dt.date, dt.date | None, bool]] = []
    for a, b in segments:
        for c in cuts:
            if a < c and (b is None or c < b):
                out.append((a, c, p.date_doubtful(a)))
                a = c
        out.append((a, b, p.date_doubtful(a)))
    return out


def _indexed(p: Provision) -> list[tuple[Action, tuple[_Rule, ...]]]:
    """The actions a provision is a candidate for, each with its effect there."""
    own = _Rule.of(p)
    out: dict[Action, tuple[_Rule, ...]] = {a: own for a in p.actions}
    if Action.ENTER_287G_ANY in p.actions:
        each = _Rule.of(p, Effect.PERMITTED, SATISFIES) if p.effect is Effect.REQUIRED else own
        for model in ENTER_287G_ACTIONS.values():
            out.setdefault(model, each)
    elif p.effect is Effect.REQUIRED and any(a in ENTER_287G_ACTIONS.values() for a in p.actions):
        out.setdefault(Action.ENTER_287G_ANY, own)  # a duty to hold one model is a duty to hold one
    return list(out.items())


def _in_force(r: _Rule, day: dt.date) -> bool:
    return day >= r.start and (r.end is None or day < r.end)


class Law:
    """A set of provisions and the index the engine uses to rule on them."""

    def __init__(
        self, provisions: Iterable[Provision], coverage: Mapping[str, Coverage] | None = None
    ) -> None:
        self.provisions: tuple[Provision, ...] = tuple(provisions)
        self.coverage: Mapping[str, Coverage] = shipped_coverage() if coverage is None else coverage
        self._coverage_notes: dict[tuple[str, Action], str] = {}
        self._by_id = {p.id: p for p in self.provisions}
        index: dict[tuple[str, Actor, Action], list[_Rule]] = {}
        for p in self.provisions:
            for action, rules in _indexed(p):
                for actor in p.actors:
                    index.setdefault((p.jurisdiction, actor, action), []).extend(rules)
        self._index = {k: tuple(v) for k, v in index.items()}
        self._candidates: dict[tuple[str, Actor, Action], tuple[_Rule, ...]] = {}

    def get(self, provision_id: str) -> Provision | None:
        return self._by_id.get(provision_id)

    def for_jurisdiction(self, jurisdiction: str) -> tuple[Provision, ...]:
        return tuple(p for p in self.provisions if p.jurisdiction == jurisdiction)

    def with_provisions(self, extra: Iterable[Provision]) -> Law:
        return Law((*self.provisions, *extra), self.coverage)

    def researched(self, jurisdiction: str, action: Action) -> bool:
        """Was the jurisdiction's own law on this action's topic researched? (The federal layer is.)"""
        if jurisdiction == "US":
            return True
        cov = self.coverage.get(jurisdiction)
        return cov is not None and cov.researched(action)

    def coverage_note(self, jurisdiction: str, action: Action) -> str:
        key = (jurisdiction, action)
        note = self._coverage_notes.get(key)
        if note is None:
            note = self._coverage_notes[key] = self._coverage_text(jurisdiction, action)
        return note

    def _coverage_text(self, jurisdiction: str, action: Action) -> str:
        cov = self.coverage.get(jurisdiction)
        topic = ACTION_TOPIC[action].value.replace("_", " ")
        if cov is None:
            return f"{jurisdiction}'s law has not been researched"
        state = "researched" if cov.researched(action) else "not researched"
        return f"{jurisdiction}'s law on {topic} {state} (coverage of {cov.researched_on}: {cov.note})"

    def candidates(self, jurisdiction: str, actor: Actor, action: Action) -> tuple[_Rule, ...]:
        key = (jurisdiction, actor, action)
        found = self._candidates.get(key)
        if found is None:
            found = self._index.get(("US", actor, action), ())
            if jurisdiction != "US":
                found = found + self._index.get(key, ())
            self._candidates[key] = found
        return found

    def rule(
        self,
        jurisdiction: str,
        actor: Actor | str,
        action: Action | str,
        date: dt.date,
        context: Context | None = None,
    ) -> Ruling:
        """Rule on one question. See the module docstring for how the effect is decided."""
        if jurisdiction not in _JURISDICTION_SET:
            _unknown_jurisdiction(jurisdiction)
        actor = actor if type(actor) is Actor else _coerce(Actor, actor, "actor")
        action = action if type(action) is Action else _coerce(Action, action, "action")
        if type(date) is not dt.date:
            date = _coerce_date(date)
        ctx = (context or DEFAULT_CONTEXT).resolved(action)
        rules = self.candidates(jurisdiction, actor, action)
        live, skipped = _sift(rules, date, ctx)
        result, deciding, steps, note = self._decide(jurisdiction, action, live, ctx)
        readings: tuple[Reading, ...] = ()
        doubtful = {r.p.id: r.p for r in live if r.doubtful}
        if doubtful:
            result, deciding, note, readings = self._read_both_ways(
                jurisdiction, action, live, ctx, doubtful, (result, deciding, note)
            )
            steps = [
                replace(st, note="; ".join(x for x in (st.note, _doubt_note(doubtful[st.provision_id])) if x))
                if st.provision_id in doubtful
                else st
                for st in steps
            ]
        checks = _condition_checks(deciding, ctx)
        relied = [*deciding, *(r.p for r in live if r.p.saves and r.p not in deciding)]
        return Ruling(
            jurisdiction=jurisdiction,
            actor=actor,
            action=action,
            date=date,
            context=ctx,
            effect=result,
            provisions=tuple(deciding),
            conditions=checks,
            verification=weakest(p.verification for p in deciding),
            steps=_in_candidate_order(rules, skipped, steps),
            coverage=note,
            readings=readings,
            contested=tuple(f"{p.citation}: {p.contested}" for p in relied if p.contested),
        )

    def _read_both_ways(
        self,
        jurisdiction: str,
        action: Action,
        live: list[_Rule],
        ctx: Context,
        doubtful: dict[str, Provision],
        first: tuple[Effect, list[Provision], str | None],
    ) -> tuple[Effect, list[Provision], str | None, tuple[Reading, ...]]:
        """When provisions whose dates are only bounded bear on the question, decide it without them
        too; if the two readings differ, the effect is UNCERTAIN and both readings are given."""
        result, deciding, note = first
        other, other_deciding, _, other_note = self._decide(
            jurisdiction, action, [r for r in live if not r.doubtful], ctx
        )
        if other is result:
            return result, deciding, note, ()
        ids = ", ".join(doubtful)
        readings = (
            Reading(f"if {ids} applies on this date", result, tuple(p.id for p in deciding)),
            Reading(
                f"if {ids} does not yet (or no longer) apply", other, tuple(p.id for p in other_deciding)
            ),
        )
        both = list(dict.fromkeys([*deciding, *other_deciding]))
        return Effect.UNCERTAIN, both, note or other_note, readings

    def _decide(
        self, jurisdiction: str, action: Action, live: list[_Rule], ctx: Context
    ) -> tuple[Effect, list[Provision], list[TraceStep], str | None]:
        """Steps 3 to 6 of the module docstring over the live candidates: the effect, the deciding
        provisions, a trace step per live candidate and the coverage note (when it bears)."""
        saving = any(r.p.saves for r in live)
        steps: list[TraceStep] = []
        prohibited: list[Provision] = []
        required: list[Provision] = []
        conditional: list[Provision] = []
        permitted: list[Provision] = []
        satisfying: list[Provision] = []  # duties to hold any 287(g) model, which this model meets
        for r in live:
            p = r.p
            effect = r.effect
            if effect is Effect.PROHIBITED or effect is Effect.REQUIRED:
                if saving and effect is Effect.PROHIBITED and not r.federal:
                    steps.append(TraceStep(p.id, p.citation, "saved", ""))
                    continue
                met = [c for c in p.exceptions if condition_met(c, ctx)]
                if met:
                    steps.append(TraceStep(p.id, p.citation, "excepted", met[0].text))
                    if effect is Effect.PROHIBITED:
                        conditional.append(p)
                    continue
                steps.append(TraceStep(p.id, p.citation, "applies", effect.value))
                (prohibited if effect is Effect.PROHIBITED else required).append(p)
            elif effect is Effect.PERMITTED_WITH_CONDITIONS:
                if all(condition_met(c, ctx) for c in p.conditions):
                    steps.append(TraceStep(p.id, p.citation, "applies", effect.value))
                    conditional.append(p)
                else:
                    steps.append(TraceStep(p.id, p.citation, "conditions_unmet", ""))
            else:
                steps.append(TraceStep(p.id, p.citation, "applies", r.note or effect.value))
                permitted.append(p)
                if r.note == SATISFIES:  # not `is`: a Law from law/cache.py holds a copy
                    satisfying.append(p)

        if prohibited:
            result, deciding = Effect.PROHIBITED, prohibited
        elif required:
            result, deciding = Effect.REQUIRED, required
        elif conditional:
            result, deciding = Effect.PERMITTED_WITH_CONDITIONS, conditional + satisfying
        elif permitted:
            result, deciding = Effect.PERMITTED, permitted
        else:
            result, deciding = Effect.NO_PROVISION, []

        note = None
        if jurisdiction != "US" and not any(p.jurisdiction == jurisdiction for p in deciding):
            note = self.coverage_note(jurisdiction, action)
            if not self.researched(jurisdiction, action) and not _federal_settles(result, deciding):
                result = Effect.NOT_RESEARCHED
        return result, deciding, steps, note


_JURISDICTION_SET = frozenset(JURISDICTIONS)


def _federal_settles(result: Effect, deciding: Iterable[Provision]) -> bool:
    """Federal law that a state cannot change: a federal prohibition or duty, or a savings clause
    (8 U.S.C. 1373/1644) setting state limits aside. Otherwise an unresearched state might say more."""
    return result in (Effect.PROHIBITED, Effect.REQUIRED) or any(p.saves for p in deciding)


def _in_candidate_order(
    rules: tuple[_Rule, ...], skipped: dict[str, TraceStep], applied: list[TraceStep]
) -> tuple[TraceStep, ...]:
    """Trace steps in the order the candidates were considered (federal first, then the state),
    one per provision (a provision cut by an injunction is several candidates)."""
    if not skipped:
        return tuple(applied)
    by_id = {s.provision_id: s for s in applied} | skipped
    return tuple(by_id[i] for i in dict.fromkeys(r.p.id for r in rules) if i in by_id)


def _doubt_note(p: Provision) -> str:
    parts = []
    if p.effective_from_latest is not None:
        parts.append(f"took effect between {p.effective_from} and {p.effective_from_latest}")
    if p.effective_to is not None and p.effective_to_latest is not None:
        parts.append(f"ended between {p.effective_to} and {p.effective_to_latest}")
    return "date known only within bounds: " + "; ".join(parts)


def _dates_note(r: _Rule) -> str:
    end = f" until {r.end.isoformat()}" if r.end else ""
    return f"applies from {r.start.isoformat()}{end}"


def _unknown_jurisdiction(jurisdiction: str) -> NoReturn:
    raise InputError(
        f"unknown jurisdiction {jurisdiction!r}",
        field="jurisdiction",
        expected="US, DC or a two-letter state code",
    )


def _coerce(enum: Any, value: Any, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {name} {value!r}", field=name, expected=f"one of: {allowed}") from None


def _coerce_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"not a date: {value!r}", field="date", expected="YYYY-MM-DD")


@lru_cache(maxsize=1)
def default_law() -> Law:
    """The shipped provisions (src/sharemap/law/provisions/*.yaml), loaded and validated once per
    process, and built once per change of those files (law/cache.py keeps the built `Law`)."""
    from sharemap.law.cache import compiled
    from sharemap.law.coverage import COVERAGE_FILE
    from sharemap.law.load import PROVISIONS_DIR, provision_files

    def build() -> Law:
        from sharemap.law.load import load_provisions

        return Law(load_provisions())

    return compiled("provisions", [*provision_files(PROVISIONS_DIR), COVERAGE_FILE], build)


def _sift(rules: tuple[_Rule, ...], date: dt.date, ctx: Context) -> tuple[list[_Rule], dict[str, TraceStep]]:
    """Steps 1 and 2: the candidates live on `date` for this context, and why each other one is not."""
    live: list[_Rule] = []
    skipped: dict[str, TraceStep] = {}
    for r in rules:
        if r.unconfirmed:
            skipped[r.p.id] = TraceStep(r.p.id, r.p.citation, "unconfirmed", "")
        elif r.persuasive:
            skipped[r.p.id] = TraceStep(r.p.id, r.p.citation, "persuasive", r.p.authority.value)
        elif not _in_force(r, date):
            if r.p.id in skipped or any(x.p is r.p for x in live):
                continue  # another stretch of the same provision already spoke for this date
            enjoined = next((i for i in r.p.injunctions if i.covers(date)), None)
            if enjoined is not None:
                skipped[r.p.id] = TraceStep(r.p.id, r.p.citation, "enjoined", enjoined.text)
            else:
                skipped[r.p.id] = TraceStep(r.p.id, r.p.citation, "not_in_force", _dates_note(r))
        elif not r.in_scope(ctx):
            skipped[r.p.id] = TraceStep(r.p.id, r.p.citation, "out_of_scope", "")
        else:
            skipped.pop(r.p.id, None)  # an earlier stretch said "not in force": this one is
            live.append(r)
    return live, skipped


def _condition_checks(deciding: list[Provision], ctx: Context) -> tuple[ConditionCheck, ...]:
    """The exceptions, conditions and obligations of the deciding provisions, each checked on ctx."""
    checks: list[ConditionCheck] = []
    for p in deciding:
        checks += [ConditionCheck(p.id, "exception", c.text, condition_met(c, ctx)) for c in p.exceptions]
        checks += [ConditionCheck(p.id, "condition", c.text, condition_met(c, ctx)) for c in p.conditions]
        checks += [ConditionCheck(p.id, "obligation", text, None) for text in p.obligations]
    return tuple(checks)


def rule(
    jurisdiction: str,
    actor: Actor | str,
    action: Action | str,
    date: dt.date,
    context: Context | None = None,
) -> Ruling:
    """Rule on whether `actor` in `jurisdiction` may take `action` on `date`, given `context`.

    Jurisdiction: "US" (federal layer only), "DC" or a two-letter state code (the federal layer
    always applies too). Uses the shipped provisions; build a `Law` to rule on other provisions.
    """
    return default_law().rule(jurisdiction, actor, action, date, context)


def _plain(value: object) -> str:
    """A vocabulary value as words ("civil_immigration_enforcement" -> "civil immigration enforcement")."""
    return str(getattr(value, "value", value)).replace("_", " ")


def cite_ids(text: str, citations: dict[str, str]) -> str:
    """`text` with each provision id replaced by its citation: ids are for data, citations for people."""
    for pid in sorted(citations, key=len, reverse=True):
        text = text.replace(pid, citations[pid])
    return text
