"""The one place a check asks the law engine which provisions decide it.

`law_basis(check, state, on, system)` maps a check to a question for `sharemap.law.engine.rule`
(jurisdiction, actor, action, date, context) and returns the effect and the deciding provisions.
If the law engine cannot be imported or has nothing for the state, the basis says so; checks never
invent a citation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sharemap.audit import hints
from sharemap.audit.schema import Citation, LawBasis

# check -> (action, recipient, purpose) asked of the law engine, per system searched
_QUESTIONS: dict[str, dict[str, tuple[str, str | None, str]]] = {
    "immigration_purpose": {
        "plate_reader_network": ("share_alpr_immigration", None, "civil_immigration_enforcement"),
        "dmv": ("disclose_dmv_record", "federal", "civil_immigration_enforcement"),
        "nlets": ("disclose_dmv_record", "federal", "civil_immigration_enforcement"),
        "jail_release_notification": ("notify_release", "federal", "civil_immigration_enforcement"),
        "other": ("share_personal_info", "federal", "civil_immigration_enforcement"),
    },
    "out_of_state_access": {
        "plate_reader_network": ("share_alpr_out_of_state", "out_of_state", "criminal_investigation"),
    },
    "federal_access": {
        "plate_reader_network": ("share_alpr_federal", "federal", "criminal_investigation"),
    },
    # a search by ICE, HSI or CBP: the law on sharing plate-reader data for immigration enforcement
    "federal_immigration_access": {
        "plate_reader_network": ("share_alpr_immigration", "federal", "civil_immigration_enforcement"),
    },
}

_IMMIGRATION_FALLBACKS: tuple[tuple[str, str, str | None], ...] = (
    ("local_police", "share_personal_info", "federal"),
    ("local_police", "use_resources", "federal"),
)

ACTOR_FOR_SYSTEM = {
    "plate_reader_network": "plate_reader_operator",
    "dmv": "dmv",
    "nlets": "dmv",
    "jail_release_notification": "sheriff",
    "other": "state_agency",
}


def law_basis(check: str, state: str | None, on: dt.date | None, system: str) -> LawBasis | None:
    """What the law engine rules for the act a check tests; None when the check asks no legal question."""
    question = _QUESTIONS.get(check, {}).get(system)
    if question is None:
        return None
    action, recipient, purpose = question
    if not state:
        return LawBasis(
            jurisdiction=None,
            action=action,
            effect="unknown",
            why=f"no state given: the law engine cannot be asked ({hints.STATE})",
        )
    day = on or dt.date.today()
    first = _ask(state, ACTOR_FOR_SYSTEM.get(system, "state_agency"), action, recipient, purpose, day)
    if check != "immigration_purpose" or first.effect == "prohibited":
        return first
    # an immigration-purpose search is also a use of local resources and a disclosure of personal
    # data for immigration enforcement: ask those too and keep the strictest answer
    answers = [first] + [
        _ask(state, actor, act, rec, purpose, day) for actor, act, rec in _IMMIGRATION_FALLBACKS
    ]
    return next((a for a in answers if a.effect == "prohibited"), first)


@lru_cache(maxsize=256)
def _ask(state: str, actor: str, action: str, recipient: str | None, purpose: str, on: dt.date) -> LawBasis:
    try:
        from sharemap.law import engine, vocab
    except ImportError as exc:  # the law layer is optional at run time
        return LawBasis(
            jurisdiction=state, action=action, effect="unknown", why=f"law engine unavailable: {exc}"
        )
    try:
        context = engine.Context(
            purpose=vocab.Purpose(purpose),
            recipient=vocab.Recipient(recipient) if recipient else None,
        )
        ruling: Any = engine.rule(state, vocab.Actor(actor), vocab.Action(action), on, context)
    except Exception as exc:  # a law-engine error must not stop an audit; it is reported instead
        return LawBasis(jurisdiction=state, action=action, effect="unknown", why=f"law engine error: {exc}")
    cites = []
    for p in ruling.provisions:
        url = None
        sources = getattr(p, "sources", None) or []
        if sources:
            url = str(getattr(sources[0], "url", "") or "") or None
        cites.append(
            Citation(
                provision_id=p.id,
                citation=str(getattr(p, "citation", p.id)),
                title=getattr(p, "title", None),
                url=url,
            )
        )
    return LawBasis(
        jurisdiction=state,
        action=action,
        effect=str(ruling.effect.value),
        provisions=cites,
        why=ruling.explain(),
    )


@dataclass(frozen=True)
class RetentionPeriod:
    """A plate-reader retention limit of the state's law and the dates it applies to searches."""

    start: dt.date  # first day in force
    end: dt.date | None  # first day no longer in force (None: still in force)
    days: int
    period: str  # as the law states it ("21 days", "9 months")
    citation: str
    provision_id: str
    title: str
    url: str | None
    verification: str


def retention_periods(state: str) -> tuple[list[RetentionPeriod], str]:
    """The state's plate-reader retention limits in days over time, and a note saying which apply.

    A search is held to the limit in force on the day it was made, so a log that spans a new law is
    checked only from the day the law took effect.
    """
    try:
        from sharemap.law import retention_days
        from sharemap.law.retention import retention_provisions
    except ImportError as exc:  # the law layer is optional at run time
        return [], f"retention limit not looked up: law engine unavailable: {exc}"
    provisions = [p for p in retention_provisions() if p.jurisdiction == state]
    bounds = sorted({d for p in provisions for d in (p.effective_from, p.effective_to, p.status_since) if d})
    periods: list[RetentionPeriod] = []
    ends: list[dt.date | None] = [*bounds[1:], None]
    for start, end in zip(bounds, ends[: len(bounds)], strict=True):
        found = retention_days(state, start)
        if found is None or found.days is None:
            continue
        last = periods[-1] if periods else None
        if last and last.end == start and last.provision_id == found.provision_id and last.days == found.days:
            periods[-1] = replace(last, end=end)
            continue
        url = str(found.sources[0].url) if found.sources and found.sources[0].url else None
        periods.append(
            RetentionPeriod(start, end, found.days, found.period, found.citation, found.provision_id,
                            found.title, url, found.verification.value)
        )  # fmt: skip
    if not periods:
        return [], f"no plate-reader retention limit in days is coded for {state}"
    note = "; ".join(
        f"look-back limit {p.period} ({p.days} days) from {p.citation} [{p.provision_id}], verification "
        f"{p.verification}, applied to searches made from {p.start}" + (f" to {p.end}" if p.end else "")
        for p in periods
    )
    return periods, note + "; searches made outside these dates are not checked for look-back"


def retention_basis(state: str | None, periods: Sequence[RetentionPeriod]) -> LawBasis | None:
    """The provisions behind the state's retention limits in use, as citations for the look-back
    finding (None when the limit was given on the command line instead)."""
    if not state or not periods:
        return None
    first: dict[str, RetentionPeriod] = {}
    for p in periods:
        first.setdefault(p.provision_id, p)  # one citation per provision
    cites = [
        Citation(provision_id=p.provision_id, citation=p.citation, title=p.title, url=p.url)
        for p in first.values()
    ]
    return LawBasis(
        jurisdiction=state,
        action="retain_alpr_data",
        effect="required",
        provisions=cites,
        why="; ".join(
            f"{p.citation}: plate-reader data kept at most {p.period} (from {p.start})" for p in periods
        ),
    )
