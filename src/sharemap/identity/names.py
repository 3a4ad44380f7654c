"""SYNTHETIC names with real variation, from Faker's locale name lists.

Origins: "es" (Spanish names from Faker es_MX: given name plus paternal and maternal surname), "en"
(Faker en_US, surnames weighted by Faker's frequencies), "zh" (Faker zh_CN romanised pinyin names) and
"ru" (Faker ru_RU Cyrillic names, transliterated). Variants model how the same person is written by
different agencies: two surnames in either order or one dropped, accents dropped, given and family name
swapped, and a second transliteration system.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker.providers.person.en_US import Provider as EnUS
from faker.providers.person.es_MX import Provider as EsMX
from faker.providers.person.ru_RU import Provider as RuRU
from faker.providers.person.zh_CN import Provider as ZhCN

ORIGINS = ("en", "es", "zh", "ru")

# Two romanisation systems for Russian Cyrillic (a passport-style one and a simplified one).
_RU_A = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)
_RU_B = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e yo j z i i k l m n o p r s t u f h c ch sh sch _ i _ e iu ia".split(),  # noqa: SIM905
        strict=True,
    )
)
# Pinyin -> older Wade-Giles style initials (a simplification, enough to create real spelling variants).
_ZH_ALT = (("zh", "ch"), ("ch", "ch"), ("x", "hs"), ("q", "ch"), ("z", "ts"), ("c", "ts"))


def translit(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        rep = table.get(low)
        if rep is None:
            out.append(ch)
            continue
        rep = "" if rep == "_" else rep
        out.append(rep.capitalize() if ch != low else rep)
    return "".join(out)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Name:
    given: str
    surnames: tuple[str, ...]
    origin: str

    @property
    def full(self) -> str:
        return " ".join((self.given, *self.surnames))


@lru_cache(maxsize=1)
def _pools() -> dict[str, tuple[list[str], list[str], np.ndarray | None]]:
    en_last = list(EnUS.last_names)
    en_w = np.array(list(EnUS.last_names.values()), dtype=float)
    en_first = sorted(set(EnUS.first_names_male) | set(EnUS.first_names_female))
    es_first = sorted(set(EsMX.first_names_male) | set(EsMX.first_names_female))
    ru_first = [translit(n, _RU_A) for n in RuRU.first_names_male] + [
        translit(n, _RU_A) for n in RuRU.first_names_female
    ]
    ru_last = [n for n in RuRU.last_names_male]
    return {
        "en": (en_first, en_last, en_w / en_w.sum()),
        "es": (es_first, list(EsMX.last_names), None),
        "zh": (list(ZhCN.first_romanized_names), list(ZhCN.last_romanized_names), None),
        "ru": (ru_first, ru_last, None),
    }


def generate(origins: np.ndarray, rng: np.random.Generator) -> list[Name]:
    """One SYNTHETIC canonical name per entry of `origins` (an array of origin codes)."""
    pools = _pools()
    out: list[Name] = []
    for origin in origins:
        first, last, w = pools[str(origin)]
        given = first[int(rng.integers(len(first)))]
        if origin == "es":
            surnames: tuple[str, ...] = (
                last[int(rng.integers(len(last)))],
                last[int(rng.integers(len(last)))],
            )
        elif origin == "en":
            surnames = (last[int(rng.choice(len(last), p=w))],)
        elif origin == "ru":
            # canonical DHS spelling uses system A; Cyrillic kept for variants
            surnames = (last[int(rng.integers(len(last)))],)
        else:
            surnames = (last[int(rng.integers(len(last)))],)
        out.append(Name(given, surnames, str(origin)))
    return out


def canonical(name: Name) -> Name:
    """The spelling a federal record would hold: Russian in system A, others as generated."""
    if name.origin == "ru":
        return Name(name.given, tuple(translit(s, _RU_A) for s in name.surnames), name.origin)
    return name


def variant(name: Name, rng: np.random.Generator, p: float = 0.5) -> Name:
    """How a local booking might write the same person's name (with probability p of any change)."""
    if name.origin == "ru":
        table = _RU_B if rng.random() < p else _RU_A
        return Name(name.given, tuple(translit(s, table) for s in name.surnames), name.origin)
    if rng.random() >= p:
        return name
    given, surnames = name.given, name.surnames
    if name.origin == "es":
        r = rng.random()
        if r < 0.35:
            surnames = surnames[:1]  # maternal surname dropped
        elif r < 0.55:
            surnames = surnames[::-1]  # order swapped
        elif r < 0.7:
            surnames = ("-".join(surnames),)
        given, surnames = strip_accents(given), tuple(strip_accents(s) for s in surnames)
    elif name.origin == "zh":
        if rng.random() < 0.5:
            given, surnames = surnames[0], (given,)  # family name written first
        else:
            s = surnames[0]
            for a, b in _ZH_ALT:
                if s.lower().startswith(a):
                    s = b.capitalize() + s[len(a) :]
                    break
            surnames = (s,)
    else:
        # a typing error (last letter lost) or only the initial
        given = given[: len(given) - 1] if rng.random() < 0.5 and len(given) > 3 else given[0]
    return Name(given, surnames, name.origin)
