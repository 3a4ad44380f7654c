"""Purpose classifier for the free-text reasons officers type into search logs.

`Classifier.classify(reason)` returns a category (immigration, immigration_ambiguous, no_stated_purpose,
placeholder, test_or_admin, redacted, stated), the immigration level (explicit, likely, ambiguous or
None), the matched terms and a short note on how it decided. Term lists live in `terms.yaml` and can be
replaced (`Classifier.from_file`). Rules that need more than a word list:

- "ice" counts as ICE unless the words around it say methamphetamine (sale, grams, meth...), weather or
  a thing (black ice, ice cream), or a crime against ICE's name (impersonation, posing as, scam).
  Upper-case ICE, or ICE beside another immigration word, is explicit; a lone lower-case "ice" likely.
- "DHS" beside human-services words (child welfare, ODHS, benefits...) is a state Department of Human
  Services, not Homeland Security; beside immigration words it is explicit; alone it is ambiguous.
- A likely term (HSI, CBP, detainer, ...) beside another immigration word becomes explicit.
- U/T-visa victim certifications mention immigration but are not enforcement: ambiguous.
- Letters inside longer words never match (police, device, notice, dice, zero, hero; e287021).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jellyfish
import yaml

from sharemap.errors import InputError

CATEGORIES = (
    "immigration",
    "immigration_ambiguous",
    "no_stated_purpose",
    "placeholder",
    "test_or_admin",
    "redacted",
    "stated",
)
LEVELS = ("explicit", "likely", "ambiguous")
_WORD = r"(?<![a-z0-9]){}(?![a-z0-9])"


@dataclass(frozen=True)
class Classification:
    category: str
    level: str | None = None
    terms: tuple[str, ...] = ()
    note: str = ""

    @property
    def immigration(self) -> bool:
        return self.level in ("explicit", "likely")


@dataclass
class _Term:
    term: str
    regex: re.Pattern[str]


def _words(patterns: list[str]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!x)x")
    return re.compile(_WORD.format("(?:" + "|".join(f"(?:{p})" for p in patterns) + ")"))


def normalise(reason: str | None) -> str:
    """Lower case; '+' and '_' (URL and export artefacts) as spaces; whitespace collapsed."""
    if reason is None:
        return ""
    text = reason.replace("+", " ").replace("_", " ").lower()
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Classifier:
    explicit: list[_Term]
    likely: list[_Term]
    ctx_immigration: re.Pattern[str]
    ctx_drug: re.Pattern[str]
    ctx_ice_thing: re.Pattern[str]
    ctx_impersonation: re.Pattern[str]
    ctx_human_services: re.Pattern[str]
    ctx_victim_benefit: re.Pattern[str]
    no_purpose: frozenset[str]
    redacted: frozenset[str]
    placeholders: frozenset[str]
    placeholder_stems: tuple[str, ...]
    tests: frozenset[str]
    config: dict[str, Any] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: dict[str, Any], source: str = "terms") -> Classifier:
        try:
            imm = cfg["immigration"]
            ctx = cfg["context"]

            def terms(items: list[dict[str, str]]) -> list[_Term]:
                return [_Term(i["term"], _words([i["pattern"]])) for i in items]

            def phrases(key: str) -> frozenset[str]:
                return frozenset(normalise(str(x)) for x in cfg.get(key, []))

            return cls(
                explicit=terms(imm["explicit"]),
                likely=terms(imm.get("likely", [])),
                ctx_immigration=_words(ctx.get("immigration", [])),
                ctx_drug=_words(ctx.get("drug", [])),
                ctx_ice_thing=_words(ctx.get("ice_thing", [])),
                ctx_impersonation=_words(ctx.get("impersonation", [])),
                ctx_human_services=_words(ctx.get("human_services", [])),
                ctx_victim_benefit=_words(ctx.get("victim_benefit", [])),
                no_purpose=phrases("no_purpose"),
                redacted=phrases("redacted"),
                placeholders=phrases("placeholders"),
                placeholder_stems=tuple(cfg.get("placeholder_stems", [])),
                tests=phrases("tests"),
                config=cfg,
            )
        except (KeyError, TypeError, re.error) as exc:
            raise InputError(
                f"bad term list: {exc}", file=source, expected="the layout of terms.yaml"
            ) from exc

    @classmethod
    def from_file(cls, path: str | Path) -> Classifier:
        try:
            cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read term list: {exc}", file=path) from exc
        if not isinstance(cfg, dict):
            raise InputError("term list is not a mapping", file=path, expected="the layout of terms.yaml")
        return cls.from_config(cfg, str(path))

    # -- classification -----------------------------------------------------------------------
    def classify(self, reason: str | None) -> Classification:
        raw = reason or ""
        text = normalise(raw)
        bare = text.strip(" .,;:!*-+#")
        if text in self.redacted or bare in self.redacted:
            return Classification("redacted", note="redacted before release")
        if bare in self.no_purpose or text in self.no_purpose:
            return Classification("no_stated_purpose", terms=(bare or "blank",), note="no purpose stated")
        imm = self._immigration(raw, text)
        if imm is not None:
            return imm
        if bare in self.tests:
            return Classification("test_or_admin", terms=(bare,), note="test or administrative search")
        if self._is_placeholder(bare):
            return Classification("placeholder", terms=(bare,), note="generic word, no specific purpose")
        return Classification("stated")

    def _is_placeholder(self, bare: str) -> bool:
        if bare in self.placeholders:
            return True
        letters = re.sub(r"[^a-z ]", "", bare).strip()
        if letters != bare.replace(".", "").replace("*", "").strip():
            return False  # digits or symbols: a case number or other detail was given
        if letters in self.placeholders:
            return True
        words = letters.split()
        if not words:
            return False
        core = [w for w in words if w not in ("crim", "criminal", "general", "ongoing", "active", "open")]
        if len(core) != 1 or len(core[0]) < 6:
            return False
        return any(jellyfish.levenshtein_distance(core[0], s) <= 2 for s in self.placeholder_stems)

    def _immigration(self, raw: str, text: str) -> Classification | None:
        found: list[tuple[str, str]] = []  # (level, term)
        notes: list[str] = []
        context = bool(self.ctx_immigration.search(text))
        for t in self.explicit:
            if t.regex.search(text):
                found.append(("explicit", t.term))
        for t in self.likely:
            if t.regex.search(text) and t.term not in {term for _, term in found}:
                found.append(("likely", t.term))
        # ICE
        for m in re.finditer(_WORD.format("ice"), text):
            window = text[max(0, m.start() - 40) : m.end() + 40]
            if self.ctx_impersonation.search(text):
                notes.append("ICE named as the victim of a crime (impersonation), not as requester")
                return Classification("stated", None, ("ICE",), "; ".join(notes))
            if self.ctx_ice_thing.search(window):
                continue
            others = [x for x in self.ctx_immigration.findall(text) if x != "ice"]
            if self.ctx_drug.search(text) and not others:
                notes.append("'ice' read as methamphetamine (drug words nearby)")
                continue
            upper = raw[m.start() : m.end()] == "ICE" if len(raw) == len(text) else "ICE" in raw
            found.append(("explicit" if upper or others else "likely", "ICE"))
            break
        # DHS
        if re.search(_WORD.format("dhs"), text):
            others = [x for x in self.ctx_immigration.findall(text) if x not in ("homeland",)]
            if self.ctx_human_services.search(text) and not others:
                notes.append("'DHS' read as a Department of Human Services")
            elif others or "homeland" in text:
                found.append(("explicit" if others else "likely", "DHS"))
            else:
                found.append(("ambiguous", "DHS"))
        if not found:
            if notes:
                return Classification("stated", None, (), "; ".join(notes))
            return None
        if self.ctx_victim_benefit.search(text):
            terms = tuple(dict.fromkeys(t for _, t in found))
            return Classification(
                "immigration_ambiguous", "ambiguous", terms, "victim visa certification, not enforcement"
            )
        # a likely or ambiguous term beside a second, different immigration term is explicit
        distinct = {t for _, t in found}
        levels = [lvl for lvl, _ in found]
        if "explicit" in levels or (len(distinct) > 1 and context):
            level = "explicit"
        elif "likely" in levels:
            level = "likely"
        else:
            level = "ambiguous"
        terms = tuple(dict.fromkeys(t for _, t in found))
        category = "immigration" if level in ("explicit", "likely") else "immigration_ambiguous"
        return Classification(category, level, terms, "; ".join(notes))


@lru_cache(maxsize=1)
def default_config() -> dict[str, Any]:
    text = resources.files("sharemap.audit").joinpath("terms.yaml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)
    assert isinstance(cfg, dict)
    return cfg


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    return Classifier.from_config(default_config(), "sharemap/audit/terms.yaml")


def classify(reason: str | None) -> Classification:
    """Classify one reason with the shipped term lists."""
    return default_classifier().classify(reason)
