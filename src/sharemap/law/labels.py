"""Rulings in plain words, English and Spanish: the question asked and an answer a journalist can quote.

The labels of actors, actions and effects live in labels.yaml (one place, both languages); the CLI,
the web app and the reports all word rulings through `question` and `answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sharemap.errors import InputError
from sharemap.kb.jurisdictions import name_of
from sharemap.law.engine import SATISFIES, Ruling
from sharemap.law.vocab import Action, Actor, Effect

LABELS_FILE = Path(__file__).parent / "labels.yaml"

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")


def lang_of(value: str) -> Lang:
    """A language code from user input (CLI option, query string)."""
    for lang in LANGS:
        if value == lang:
            return lang
    raise InputError(f"unknown language {value!r}", field="lang", expected="en or es")


Labels = dict[str, dict[str, dict[str, str]]]


def _build_labels() -> Labels:
    import yaml

    data: Labels = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _labels() -> Labels:
    """labels.yaml, kept built by law/cache.py: a cached run imports no yaml."""
    from sharemap.law.cache import compiled

    return compiled("labels", [LABELS_FILE], _build_labels)


def actor_label(actor: Actor, lang: Lang = "en") -> str:
    return _labels()["actors"][actor.value][lang]


def action_label(action: Action, lang: Lang = "en") -> str:
    return _labels()["actions"][action.value][lang]


def effect_label(effect: Effect, lang: Lang = "en") -> str:
    return _labels()["effects"][effect.value][lang]


def place_name(jurisdiction: str, lang: Lang = "en") -> str:
    if jurisdiction == "US":
        return "Estados Unidos (solo ley federal)" if lang == "es" else "the United States (federal law only)"
    return name_of(jurisdiction)


def ruling_json(r: Ruling, lang: Lang = "en") -> dict[str, object]:
    """A ruling as JSON data with its question and answer in words."""
    return {**r.to_dict(), "question": question(r, lang), "answer": answer(r, lang)}


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


@dataclass(frozen=True)
class _Words:
    """The pieces of one answer sentence, already in the answer's language."""

    es: bool
    who: str
    what: str
    where: str
    day: str
    cites: str
    many: bool
    unless: str
    only_if: str
    terms: str
    readings: str


def _prohibited(w: _Words) -> str:
    tail = ((" salvo: " if w.es else ", unless: ") + w.unless) if w.unless else ""
    if w.es:
        return f"No. El {w.day}, {w.who} en {w.where} no puede {w.what}: lo prohíbe {w.cites}{tail}."
    verb = "prohibit" if w.many else "prohibits"
    return f"No. On {w.day}, {w.who} in {w.where} may not {w.what}: {w.cites} {verb} it{tail}."


def _required(w: _Words) -> str:
    tail = ((" salvo: " if w.es else ", unless: ") + w.unless) if w.unless else ""
    if w.es:
        return f"Sí, es obligatorio. El {w.day}, {w.who} en {w.where} debe {w.what}, según {w.cites}{tail}."
    return f"Yes, it must. On {w.day}, {w.who} in {w.where} must {w.what} under {w.cites}{tail}."


def _conditional(w: _Words) -> str:
    if w.es:
        how = (
            f"solo si: {w.only_if}"
            if w.only_if
            else f"en los términos de la ley ({w.terms})"
            if w.terms
            else "con condiciones"
        )
        return f"Solo con condiciones. El {w.day}, {w.who} en {w.where} puede {w.what} {how} ({w.cites})."
    how = (
        f"only if: {w.only_if}"
        if w.only_if
        else f"on the law's terms ({w.terms})"
        if w.terms
        else "on conditions"
    )
    return f"Only on conditions. On {w.day}, {w.who} in {w.where} may {w.what} {how} ({w.cites})."


def _permitted(w: _Words) -> str:
    if w.es:
        return f"Sí. El {w.day}, {w.who} en {w.where} puede {w.what}; lo permite {w.cites}."
    verb = "allow" if w.many else "allows"
    return f"Yes. On {w.day}, {w.who} in {w.where} may {w.what}; {w.cites} {verb} it."


def _not_researched(w: _Words) -> str:
    if w.es:
        return (
            f"Se desconoce. sharemap no ha investigado la ley de {w.where} sobre esta cuestión: no se sabe "
            f"si, el {w.day}, {w.who} puede {w.what}."
        )
    return (
        f"Unknown. sharemap has not researched {w.where}'s law on this question, so whether {w.who} "
        f"may {w.what} on {w.day} is not known."
    )


def _uncertain(w: _Words) -> str:
    if w.es:
        return (
            f"Incierto. Si, el {w.day}, {w.who} en {w.where} puede {w.what} depende de fechas de {w.cites} "
            f"conocidas solo entre límites ({w.readings})."
        )
    return (
        f"Uncertain. Whether {w.who} in {w.where} may {w.what} on {w.day} turns on dates of {w.cites} known "
        f"only within bounds ({w.readings})."
    )


def _no_law(w: _Words) -> str:
    if w.es:
        return (
            f"No se encontró ley. Ninguna disposición federal ni de {w.where} en la base de sharemap "
            f"dice si, el {w.day}, {w.who} puede {w.what}; decide la política local."
        )
    return (
        f"No law found. No federal or {w.where} provision in sharemap's rule base says whether {w.who} may "
        f"{w.what} on {w.day}; local policy decides."
    )


_SENTENCE = {
    Effect.PROHIBITED: _prohibited,
    Effect.REQUIRED: _required,
    Effect.PERMITTED_WITH_CONDITIONS: _conditional,
    Effect.PERMITTED: _permitted,
    Effect.NOT_RESEARCHED: _not_researched,
    Effect.UNCERTAIN: _uncertain,
}


def _words(r: Ruling, lang: Lang, sat: set[str]) -> _Words:
    cited = [p for p in r.provisions if p.id not in sat]
    conds = r.conditions
    return _Words(
        es=lang == "es",
        who=actor_label(r.actor, lang),
        what=action_label(r.action, lang),
        where=place_name(r.jurisdiction, lang),
        day=r.date.isoformat(),
        cites="; ".join(dict.fromkeys(p.citation for p in cited)),
        many=len(cited) > 1,
        unless=_texts([c.text for c in conds if c.role == "exception" and c.met is False]),
        only_if=_texts([c.text for c in conds if c.role in ("exception", "condition") and c.met]),
        terms=_texts([c.text for c in conds if c.role == "obligation" and c.provision_id not in sat][:2]),
        readings="; ".join(f"{rd.assumption}: {effect_label(rd.effect, lang)}" for rd in r.readings),
    )


def answer(r: Ruling, lang: Lang = "en") -> str:
    """One quotable sentence: the answer, in plain words, with the citations that decide it."""
    es = lang == "es"
    sat = {s.provision_id for s in r.steps if s.note == SATISFIES}
    text = _SENTENCE.get(r.effect, _no_law)(_words(r, lang, sat))
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
