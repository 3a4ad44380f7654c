"""The answer first, in plain words: for a place and date, what reaches ICE from each encounter, how
fast, by which route and what the law here allows, as sentences a person can read aloud.

`answer(traces, lang)` is pure: it words the traces (`sharemap.flows.trace`) through the message
catalogue `answer.yaml` (English and Spanish), and every sentence carries the citations and sources it
rests on (the KB's channel and latency sources, the law provisions' own citations and sources, the
plate-reader portals' archived snapshots). It never adds a fact the traces do not hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sharemap.flows.graph import EdgeStatus, HopRuling, Place, PlaceGraph
from sharemap.flows.trace import Path, Trace, format_seconds, trace_all
from sharemap.flows.words import agreement_words, catalogue, named, say
from sharemap.kb.facts import Encounter, KnowledgeBase
from sharemap.kb.model import Source
from sharemap.law.engine import Law, default_law
from sharemap.law.labels import Lang, action_label, actor_label
from sharemap.law.vocab import Action, Actor, Effect

MAX_ELEMENTS = 6
MAX_AGREEMENTS = 5
"""Data elements named in one sentence before "and N more" (the rest are in the details)."""
_CHANNEL_SOURCES = 2
"""Sources cited per hop of a route (the first ones the KB lists for the channel)."""
_SILENT = frozenset({Effect.NOT_RESEARCHED, Effect.NO_PROVISION})
"""Effects worded together in one sentence (the questions no provision answers)."""
_LAW_ORDER = {
    Effect.PROHIBITED: 0,
    Effect.REQUIRED: 1,
    Effect.PERMITTED_WITH_CONDITIONS: 2,
    Effect.UNCERTAIN: 3,
    Effect.PERMITTED: 4,
    Effect.NOT_RESEARCHED: 5,
    Effect.NO_PROVISION: 6,
}


def encounter_name(kb: KnowledgeBase, encounter: Encounter, lang: Lang = "en") -> str:
    spec = kb.encounters.get(encounter)
    return named("encounters", encounter.value, spec.name if spec else encounter.value, lang)


def channel_name(kb: KnowledgeBase, channel: str, lang: Lang = "en") -> str:
    return named("channels", channel, kb.channels[channel].name, lang)


def element_name(kb: KnowledgeBase, element: str, lang: Lang = "en") -> str:
    """The element's name as it reads inside a sentence ("date of birth", "Social Security number")."""
    english = kb.data_elements[element].name
    words = english.split()
    common = (
        words[0][1:].islower() and words[0] not in _PROPER and not (len(words) > 1 and words[1][:1].isupper())
    )
    return named("elements", element, english[:1].lower() + english[1:] if common else english, lang)


_PROPER = frozenset({"Medicaid"})


def system_name(kb: KnowledgeBase, system: str, lang: Lang = "en") -> str:
    return named("systems", system, kb.systems[system].name, lang)


def status_label(status: EdgeStatus, lang: Lang = "en") -> str:
    return catalogue()["status"][status.value][lang]


def _listing(items: Sequence[str], lang: Lang, limit: int | None = None, sep: str = ", ") -> str:
    """'a, b and c' (or 'a, b, c and 4 more' past `limit`)."""
    if limit is not None and len(items) > limit:
        return say("and_more", lang, items=sep.join(items[:limit]), n=len(items) - limit)
    if len(items) <= 1:
        return "".join(items)
    word = catalogue()["words"]["and"][lang]
    return f"{sep.join(items[:-1])} {word} {items[-1]}"


# --- the answer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence to read aloud, with the legal citations and the sources it rests on."""

    text: str
    citations: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "sources": [_source_dict(s) for s in self.sources],
        }


def _source_dict(s: Source) -> dict[str, Any]:
    return {
        "title": s.title,
        "url": str(s.url) if s.url else None,
        "date": s.date.isoformat() if s.date else None,
    }


@dataclass(frozen=True, slots=True)
class EncounterAnswer:
    """What reaches ICE from one encounter: a headline, then the sentences behind it."""

    encounter: Encounter
    name: str
    headline: Sentence
    sentences: tuple[Sentence, ...]
    reaching: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "encounter": self.encounter.value,
            "name": self.name,
            "headline": self.headline.to_dict(),
            "sentences": [s.to_dict() for s in self.sentences],
            "routes_reaching_ice": self.reaching,
            "routes_known": self.total,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer card of a place and date, in one language."""

    place: Place
    date: dt.date
    lang: Lang
    title: str
    preamble: tuple[Sentence, ...]
    encounters: tuple[EncounterAnswer, ...]

    def say(self, key: str, **slots: Any) -> str:
        """A catalogue phrase in the answer's language (headings of the web card)."""
        return say(key, self.lang, **slots)

    def status(self, status: str) -> str:
        return status_label(EdgeStatus(status), self.lang)

    def sentences(self) -> Iterator[Sentence]:
        yield from self.preamble
        for e in self.encounters:
            yield e.headline
            yield from e.sentences

    def references(self) -> tuple[Source, ...]:
        """Every source cited, once, in order of first use (the numbers `text` and the web card use)."""
        seen: dict[tuple[str, str | None], Source] = {}
        for s in self.sentences():
            for src in s.sources:
                seen.setdefault(_source_key(src), src)
        return tuple(seen.values())

    def number(self, src: Source) -> int:
        return 1 + [_source_key(s) for s in self.references()].index(_source_key(src))

    def text(self) -> str:
        """Plain text to read or paste: the sentences with [n] reference marks, then the references."""
        numbers = {_source_key(s): i for i, s in enumerate(self.references(), 1)}

        def line(s: Sentence) -> str:
            marks = sorted({numbers[_source_key(x)] for x in s.sources})
            return s.text + (f" [{', '.join(map(str, marks))}]" if marks else "")

        out = [self.title, ""]
        out += [line(s) for s in self.preamble]
        for e in self.encounters:
            out += ["", line(e.headline)]
            out += [f"  - {line(s)}" for s in e.sentences]
        out += ["", say("sources", self.lang) + ":"]
        for i, src in enumerate(self.references(), 1):
            when = f" ({src.date.isoformat()})" if src.date else ""
            out.append(f"[{i}] {src.title}{when}" + (f" {src.url}" if src.url else ""))
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place.to_dict(),
            "label": self.place.label,
            "date": self.date.isoformat(),
            "lang": self.lang,
            "title": self.title,
            "preamble": [s.to_dict() for s in self.preamble],
            "encounters": [e.to_dict() for e in self.encounters],
        }


def _source_key(s: Source) -> tuple[str, str | None]:
    return (s.title, str(s.url) if s.url else None)


def answer(
    traces: Iterable[Trace],
    lang: Lang = "en",
    *,
    law: Law | None = None,
    ledger: Source | None = None,
    portals: Sequence[Any] | None = None,
) -> Answer:
    """The answer card for the traces of one place and date (one per encounter).

    `ledger` is the source of the 287(g) agreements (ICE's list as captured), cited where a route is
    or is not in place because of an agreement. `portals` are the plate-reader portal reviews
    (`sharemap.sharing.reviews_for`) for the place; by default they are looked up (shipped data)."""
    ts = list(traces)
    if not ts:
        raise ValueError("answer needs at least one trace")
    first = ts[0]
    law = law or default_law()
    if portals is None and any(t.encounter is Encounter.PLATE_READ for t in ts):
        portals = _portals(first.place, first.date)
    words = _Words(first.kb, lang, law, ledger)
    encounters = tuple(words.encounter(t, portals or ()) for t in ts)
    return Answer(
        place=first.place,
        date=first.date,
        lang=lang,
        title=say("title", lang, place=first.place.label, date=first.date.isoformat()),
        preamble=words.preamble(first),
        encounters=encounters,
    )


def answer_for(graph: PlaceGraph, lang: Lang = "en", **kw: Any) -> Answer:
    """The answer card of an instantiated graph: every encounter, in the KB's order."""
    return answer(trace_all(graph), lang, **kw)


def list_source(ledger: Mapping[str, Any], list_date: dt.date | str | None) -> Source | None:
    """ICE's participating list as captured on `list_date`, from the ledger's own source record
    (`title`, `url`), to cite for the agreements; None if the ledger names no source."""
    title = ledger.get("title")
    if not title:
        return None
    day = dt.date.fromisoformat(list_date) if isinstance(list_date, str) else list_date
    when = " (participating agencies list as captured)" if day else ""
    return Source(title=f"{title}{when}", url=ledger.get("url"), date=day)


def _portals(place: Place, day: dt.date) -> Sequence[Any]:
    from sharemap.sharing import reviews_for
    from sharemap.sharing.orgs import STATE_CODES

    if place.state not in STATE_CODES:
        return ()
    return reviews_for(place.state, day, place.county_fips)


@dataclass(frozen=True)
class _Words:
    """Turns the parts of a trace into catalogue sentences (one language, one KB and rule base)."""

    kb: KnowledgeBase
    lang: Lang
    law: Law
    ledger: Source | None

    def preamble(self, t: Trace) -> tuple[Sentence, ...]:
        day = t.date.isoformat()
        cite = (self.ledger,) if self.ledger else ()
        if t.place.kind in ("state", "nation") and t.agreements:
            return (Sentence(say("statewide", self.lang, agreements=len(t.agreements), date=day), (), cite),)
        if t.agreements:
            words = [agreement_words(a, self.lang) for a in t.agreements]
            named = _listing(words, self.lang, MAX_AGREEMENTS, sep="; ")
            return (
                Sentence(
                    say("agreements", self.lang, count=len(t.agreements), date=day, agreements=named),
                    (),
                    cite,
                ),
            )
        return (Sentence(say("no_agreements", self.lang, date=day), (), cite),)

    def encounter(self, t: Trace, portals: Sequence[Any]) -> EncounterAnswer:
        name = encounter_name(self.kb, t.encounter, self.lang)
        reaching = [p for p in t.paths if p.reaches_ice]
        key = "headline" if reaching else "headline_none"
        n = len(t.paths)
        headline = Sentence(say(key, self.lang, count=n, encounter=name, reaching=len(reaching), total=n))
        auto = [p for p in t.by_status(EdgeStatus.OPEN) if p.local_can_decline is False]
        choice = [p for p in t.by_status(EdgeStatus.OPEN) if p not in auto]
        out: list[Sentence] = []
        for group, sentence_key in (
            (auto, "automatic"),
            (choice, "choice"),
            (list(t.by_status(EdgeStatus.CONDITIONAL)), "conditional"),
        ):
            if group:
                out.append(self.reach(group, sentence_key))
        if reaching:
            out.append(self.speed(reaching))
        out += [self.unknown(p) for p in t.by_status(EdgeStatus.UNKNOWN)]
        out += self.laws(t.paths)
        closed = t.by_status(EdgeStatus.CLOSED_BY_LAW)
        if closed:
            out.append(self.closed(closed))
        inactive = t.by_status(EdgeStatus.INACTIVE)
        if inactive:
            cite = (self.ledger,) if self.ledger and any(self._needs_287g(p) for p in inactive) else ()
            routes = self.routes(inactive)
            out.append(
                Sentence(say("not_in_place", self.lang, date=t.date.isoformat(), routes=routes), (), cite)
            )
        if t.encounter is Encounter.PLATE_READ:
            out += self.practice(portals, t.date)
        return EncounterAnswer(t.encounter, name, headline, tuple(out), len(reaching), len(t.paths))

    def _needs_287g(self, p: Path) -> bool:
        return any(h.edge.channel.requires_287g for h in p.hops)

    def route(self, p: Path) -> str:
        return catalogue()["words"]["then"][self.lang].join(
            channel_name(self.kb, c, self.lang) for c in p.channels
        )

    def routes(self, paths: Sequence[Path]) -> str:
        return "; ".join(self.route(p) for p in paths)

    def elements(self, paths: Sequence[Path]) -> str:
        got = {e for p in paths for e in p.elements}
        ordered = sorted((e for e in self.kb.data_elements if e in got), key=self._weight)
        return _listing([element_name(self.kb, e, self.lang) for e in ordered], self.lang, MAX_ELEMENTS)

    def _weight(self, element: str) -> int:
        """Biometric data named first, then what the KB marks sensitive, then the rest (stable sort)."""
        de = self.kb.data_elements[element]
        return 0 if de.category == "biometric" else 1 if de.sensitive else 2

    def channel_sources(self, paths: Sequence[Path]) -> tuple[Source, ...]:
        ids = dict.fromkeys(
            s for p in paths for h in p.hops for s in h.edge.channel.sources[:_CHANNEL_SOURCES]
        )
        return tuple(self.kb.sources[s] for s in ids if s in self.kb.sources)

    def reach(self, paths: Sequence[Path], key: str) -> Sentence:
        text = say(key, self.lang, elements=self.elements(paths), routes=self.routes(paths))
        enabling = any(h.edge.agreements for p in paths for h in p.hops)
        extra = (self.ledger,) if self.ledger and enabling else ()
        return Sentence(text, (), (*self.channel_sources(paths), *extra))

    def speed(self, paths: Sequence[Path]) -> Sentence:
        hops = {h.channel: h.edge.channel for p in paths for h in p.hops}
        known = [ch for ch in hops.values() if ch.latency.disclosed and ch.latency.seconds is not None]
        unknown = len(hops) - len(known)
        if not known:
            return Sentence(say("speed_none", self.lang, count=unknown, unknown=unknown))
        figures = "; ".join(
            f"{channel_name(self.kb, ch.id, self.lang)}, {format_seconds(ch.latency.seconds or 0.0)}"
            for ch in known
        )
        ids = dict.fromkeys(s for ch in known for s in ch.latency.sources)
        sources = tuple(self.kb.sources[s] for s in ids if s in self.kb.sources)
        key = "speed" if unknown else "speed_all"
        return Sentence(say(key, self.lang, count=unknown, figures=figures, unknown=unknown), (), sources)

    def unknown(self, p: Path) -> Sentence:
        why = next((h.edge.reason for h in p.hops if h.edge.status is EdgeStatus.UNKNOWN), "")
        period = next((pd for h in p.hops for pd in h.edge.channel.periods if pd.state == "enjoined"), None)
        if period is not None:
            why = period.note
            sources: tuple[Source, ...] = tuple(
                self.kb.sources[s] for s in period.sources if s in self.kb.sources
            )
        else:
            sources = self.channel_sources([p])
        return Sentence(say("unknown", self.lang, routes=self.route(p), why=why.rstrip(".")), (), sources)

    def laws(self, paths: Sequence[Path]) -> list[Sentence]:
        """One sentence per distinct ruling on the hops, most restrictive first."""
        seen: dict[tuple[str, str, Effect], list[HopRuling]] = {}
        for p in paths:
            if p.status is EdgeStatus.INACTIVE:
                continue
            for h in p.hops:
                for r in h.edge.rulings:
                    seen.setdefault((r.actor, r.action, r.effect), []).append(r)
        ordered = sorted(seen.items(), key=lambda kv: (_LAW_ORDER.get(kv[0][2], 9), kv[0][1], kv[0][0]))
        out = [self.law_sentence(*key, rs) for key, rs in ordered if key[2] not in _SILENT]
        for effect, template in (
            (Effect.NOT_RESEARCHED, "law_unresearched"),
            (Effect.NO_PROVISION, "law_none"),
        ):
            asked = [self.question(actor, action) for (actor, action, e) in seen if e is effect]
            if asked:
                out.append(Sentence(say(template, self.lang, questions="; ".join(asked))))
        return out

    def question(self, actor_id: str, action_id: str) -> str:
        actor, action = actor_label(Actor(actor_id), self.lang), action_label(Action(action_id), self.lang)
        return say("question", self.lang, actor=actor, action=action)

    def law_sentence(
        self, actor_id: str, action_id: str, effect: Effect, rulings: list[HopRuling]
    ) -> Sentence:
        actor, action = actor_label(Actor(actor_id), self.lang), action_label(Action(action_id), self.lang)
        modal = catalogue()["modal"][effect.value][self.lang]
        cites = tuple(dict.fromkeys(c for r in rulings for c in r.citations))
        text = say("law", self.lang, actor=actor, modal=modal, action=action, citations="; ".join(cites))
        return Sentence(text, cites, self.provision_sources(pid for r in rulings for pid in r.provisions))

    def provision_sources(self, ids: Iterable[str]) -> tuple[Source, ...]:
        out: dict[tuple[str, str | None], Source] = {}
        for pid in ids:
            p = self.law.get(pid)
            for s in p.sources[:1] if p else ():
                out.setdefault(_source_key(s), s)
        return tuple(out.values())

    def closed(self, paths: Sequence[Path]) -> Sentence:
        closing = [r for p in paths for h in p.hops for r in h.edge.rulings if r.effect is Effect.PROHIBITED]
        cites = tuple(dict.fromkeys(c for r in closing for c in r.citations))
        sources = self.provision_sources(dict.fromkeys(pid for r in closing for pid in r.provisions))
        text = say("closed", self.lang, routes=self.routes(paths))
        if cites:
            text = text.rstrip(".") + f" ({'; '.join(cites)})."
        return Sentence(text, cites, sources)

    def practice(self, portals: Sequence[Any], day: dt.date) -> list[Sentence]:
        """What the agencies' own plate-reader portals show (sharemap.sharing), each portal cited."""
        from sharemap.sharing.orgs import Reach
        from sharemap.sharing.workbook import archive_url

        if not portals:
            return [Sentence(say("portal_none", self.lang, date=day.isoformat()))]
        out = []
        for r in portals:
            far, fed = len(r.outbound.get(Reach.OUT_OF_STATE, ())), len(r.outbound.get(Reach.FEDERAL, ()))
            if not (far or fed):
                continue
            s = r.snapshot
            when = s.date.isoformat()
            src = Source.model_validate(
                {
                    "title": f"{s.agency}: plate-reader transparency portal, snapshot of {when} (archived)",
                    "url": archive_url(s.slug, s.date, s.source),
                    "date": s.date,
                }
            )
            text = say(
                "portal",
                self.lang,
                agency=s.agency,
                date=s.date.isoformat(),
                out_of_state=far,
                federal=fed,
                total=len(s.outbound),
            )
            out.append(Sentence(text, (), (src,)))
        if not out:
            n = len(portals)
            out.append(Sentence(say("portal_quiet", self.lang, count=n, portals=n)))
        return out


def by_encounter(traces: Mapping[Encounter, Trace]) -> list[Trace]:
    """Traces in the KB's encounter order (the order of the answer card)."""
    return [traces[e] for e in Encounter if e in traces]
