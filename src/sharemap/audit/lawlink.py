"""The one place a check asks the law engine which provisions decide it.

`law_basis(check, state, on, system)` maps a check to a question for `sharemap.law.engine.rule`
(jurisdiction, actor, action, date, context) and returns the effect and the deciding provisions.
If the law engine cannot be imported or has nothing for the state, the basis says so; checks never
invent a citation.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

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
            why="no state given (--state): the law engine cannot be asked",
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


def retention_limit(state: str, on: dt.date) -> tuple[int | None, str]:
    """The state's plate-reader retention limit in days (None if the law sets none) and a note saying why."""
    try:
        from sharemap.law import retention_days
    except ImportError as exc:  # the law layer is optional at run time
        return None, f"retention limit not looked up: law engine unavailable: {exc}"
    found = retention_days(state, on)
    if found is None or found.days is None:
        return None, f"no plate-reader retention limit in days is coded for {state} on {on}"
    return found.days, (
        f"look-back limit {found.period} ({found.days} days) from {found.citation} [{found.provision_id}], "
        f"in force since {found.effective_from}, verification {found.verification.value}; it is applied "
        "to every search in the files"
    )


def retention_basis(state: str | None, on: dt.date | None, days: float | None) -> LawBasis | None:
    """The provision behind the retention limit in use, as a citation for the look-back finding.

    None when the limit in use (`days`) is not the state's own (given on the command line instead).
    """
    if not state or days is None:
        return None
    try:
        from sharemap.law import retention_days
    except ImportError:
        return None
    found = retention_days(state, on or dt.date.today())
    if found is None or found.days is None or float(found.days) != float(days):
        return None
    url = str(found.sources[0].url) if found.sources and found.sources[0].url else None
    return LawBasis(
        jurisdiction=state,
        action="retain_alpr_data",
        effect="required",
        provisions=[
            Citation(provision_id=found.provision_id, citation=found.citation, title=found.title, url=url)
        ],
        why=f"{found.citation}: plate-reader data kept at most {found.period}",
    )
