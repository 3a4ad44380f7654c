"""The answer card's message catalogue (`answer.yaml`, English and Spanish) and the phrases built from it.

Kept apart from `flows.answer` so that the graph and the trace, which `answer` builds on, word things
(an agreement, a model) from the same catalogue.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import yaml

from sharemap.kb.model import Agreement
from sharemap.law.labels import Lang


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """answer.yaml: sentence templates, words, and the Spanish names of KB entries."""
    text = files("sharemap.flows").joinpath("answer.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(text)
    return data


def say(key: str, lang: Lang, *, count: int | None = None, **slots: object) -> str:
    """One sentence template of the catalogue, filled in; with `count` == 1 the `KEY_one` form if any."""
    sentences = catalogue()["sentences"]
    if count == 1 and f"{key}_one" in sentences:
        key = f"{key}_one"
    return sentences[key][lang].format(count=count, **slots)


def named(section: str, kb_id: str, english: str, lang: Lang) -> str:
    """A KB entry's name in `lang`: the catalogue's, or the KB's English name."""
    if lang == "en":
        return english
    return catalogue()[section].get(kb_id, {}).get(lang, english)


def agreement_words(a: Agreement, lang: Lang = "en") -> str:
    """'Harris County Sheriff's Office: 287(g) Task Force Model (signed 2025-02-20)', in `lang`."""
    model = named("models", a.model.value, a.model.label, lang)
    if a.signed:
        return say("agreement_signed", lang, agency=a.agency_name, model=model, date=a.signed.isoformat())
    return say("agreement_listed", lang, agency=a.agency_name, model=model, date=a.first_seen.isoformat())
