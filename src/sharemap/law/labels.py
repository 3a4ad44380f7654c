"""Rulings in plain words, English and Spanish: the question asked and an answer a journalist can quote.

The labels of actors, actions and effects live in labels.yaml (one place, both languages); the CLI,
the web app and the reports all word rulings through `question` and `answer`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Literal

import us
import yaml

from sharemap.errors import InputError
from sharemap.law.engine import SATISFIES, Ruling
from sharemap.law.vocab import Action, Actor, Effect

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")


def lang_of(value: str) -> Lang:
    """A language code from user input (CLI option, query string)."""
    for lang in LANGS:
        if value == lang:
            return lang
    raise InputError(f"unknown language {value!r}", field="lang", expected="en or es")


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, dict[str, str]]]:
    text = files("sharemap.law").joinpath("labels.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(text)
    return data


def actor_label(actor: Actor, lang: Lang = "en") -> str:
    return _labels()["actors"][actor.value][lang]


def action_label(action: Action, lang: Lang = "en") -> str:
    return _labels()["actions"][action.value][lang]


def effect_label(effect: Effect, lang: Lang = "en") -> str:
    return _labels()["effects"][effect.value][lang]


def place_name(jurisdiction: str, lang: Lang = "en") -> str:
    if jurisdiction == "US":
        return "Estados Unidos (solo ley federal)" if lang == "es" else "the United States (federal law only)"
    found = us.states.lookup(jurisdiction)
    return found.name if found is not None else jurisdiction


def question(r: Ruling, lang: Lang = "en") -> str:
    """The question a ruling answers, e.g. "On 2026-07-01, may the sheriff or county jail in Texas ...?"."""
    who, what = actor_label(r.actor, lang), action_label(r.action, lang)
    where, day = place_name(r.jurisdiction, lang), r.date.isoformat()
    if lang == "es":
        return f"El {day}, ¿puede {who} en {where} {what}?"
    return f"On {day}, may {who} in {where} {what}?"


def _texts(items: list[str]) -> str:
    """Condition texts joined, as clauses inside a sentence (no final stop, no capital)."""
    clauses = [t.rstrip(". ") for t in items]
    return " / ".join(c if c[1:2].isupper() else c[:1].lower() + c[1:] for c in clauses if c)


def answer(r: Ruling, lang: Lang = "en") -> str:
    """One quotable sentence: the answer, in plain words, with the citations that decide it."""
    es = lang == "es"
    who, what = actor_label(r.actor, lang), action_label(r.action, lang)
    where, day = place_name(r.jurisdiction, lang), r.date.isoformat()
    sat = {s.provision_id for s in r.steps if s.note == SATISFIES}
    cited = [p for p in r.provisions if p.id not in sat]
    cites = "; ".join(dict.fromkeys(p.citation for p in cited))
    many = len(cited) > 1
    unless = _texts([c.text for c in r.conditions if c.role == "exception" and c.met is False])
    only_if = _texts([c.text for c in r.conditions if c.role in ("exception", "condition") and c.met])
    terms = _texts([c.text for c in r.conditions if c.role == "obligation" and c.provision_id not in sat][:2])
    e = r.effect
    if e is Effect.PROHIBITED:
        tail = ((" salvo: " if es else ", unless: ") + unless) if unless else ""
        if es:
            text = f"No. El {day}, {who} en {where} no puede {what}: lo prohíbe {cites}{tail}."
        else:
            verb = "prohibit" if many else "prohibits"
            text = f"No. On {day}, {who} in {where} may not {what}: {cites} {verb} it{tail}."
    elif e is Effect.REQUIRED:
        tail = ((" salvo: " if es else ", unless: ") + unless) if unless else ""
        if es:
            text = f"Sí, es obligatorio. El {day}, {who} en {where} debe {what}, según {cites}{tail}."
        else:
            text = f"Yes, it must. On {day}, {who} in {where} must {what} under {cites}{tail}."
    elif e is Effect.PERMITTED_WITH_CONDITIONS:
        if es:
            how = (
                f"solo si: {only_if}"
                if only_if
                else f"en los términos de la ley ({terms})"
                if terms
                else "con condiciones"
            )
            text = f"Solo con condiciones. El {day}, {who} en {where} puede {what} {how} ({cites})."
        else:
            how = (
                f"only if: {only_if}"
                if only_if
                else f"on the law's terms ({terms})"
                if terms
                else "on conditions"
            )
            text = f"Only on conditions. On {day}, {who} in {where} may {what} {how} ({cites})."
    elif e is Effect.PERMITTED:
        if es:
            text = f"Sí. El {day}, {who} en {where} puede {what}; lo permite {cites}."
        else:
            verb = "allow" if many else "allows"
            text = f"Yes. On {day}, {who} in {where} may {what}; {cites} {verb} it."
    elif e is Effect.NOT_RESEARCHED:
        if es:
            text = (
                f"Se desconoce. sharemap no ha investigado la ley de {where} sobre esta cuestión: no se sabe "
                f"si, el {day}, {who} puede {what}."
            )
        else:
            text = (
                f"Unknown. sharemap has not researched {where}'s law on this question, so whether {who} "
                f"may {what} on {day} is not known."
            )
    elif e is Effect.UNCERTAIN:
        readings = "; ".join(f"{rd.assumption}: {effect_label(rd.effect, lang)}" for rd in r.readings)
        if es:
            text = (
                f"Incierto. Si, el {day}, {who} en {where} puede {what} depende de fechas de {cites} "
                f"conocidas solo entre límites ({readings})."
            )
        else:
            text = (
                f"Uncertain. Whether {who} in {where} may {what} on {day} turns on dates of {cites} known "
                f"only within bounds ({readings})."
            )
    elif es:
        text = (
            f"No se encontró ley. Ninguna disposición federal ni de {where} en la base de sharemap dice si, "
            f"el {day}, {who} puede {what}; decide la política local."
        )
    else:
        text = (
            f"No law found. No federal or {where} provision in sharemap's rule base says whether {who} may "
            f"{what} on {day}; local policy decides."
        )
    duty = "; ".join(dict.fromkeys(p.citation for p in r.provisions if p.id in sat))
    if duty:
        text += (
            f" Cumple el deber de {duty} de tener al menos un acuerdo 287(g); este modelo no es obligatorio."
            if es
            else f" It meets the duty in {duty} to hold at least one 287(g) agreement (of any model)."
        )
    if r.contested:
        text += " (Validez impugnada en los tribunales.)" if es else " (Its validity is contested in court.)"
    return text[0].upper() + text[1:]
