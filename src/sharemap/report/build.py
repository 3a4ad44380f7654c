"""Build a cited report for a county, a state, an agency or the nation on a date.

Inputs are the ledger (an open DuckDB connection), the knowledge base and the law engine; the
output is a `Report` (see model.py) whose every factual sentence carries numbered citations. The
sections follow issue 7's order. Nothing is stated that the sources do not give: what they do not
say is listed as unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from sharemap.flows.answer import Sentence as AnswerSentence
from sharemap.flows.answer import answer as plain_answer
from sharemap.flows.graph import CachedRules, EdgeStatus, instantiate
from sharemap.flows.trace import Path, Trace, format_seconds, trace
from sharemap.kb.facts import Encounter, KnowledgeBase
from sharemap.kb.load import load_kb
from sharemap.kb.model import Agreement, Model287g
from sharemap.law.engine import Law, default_law
from sharemap.law.labels import action_label, answer
from sharemap.law.model import Provision
from sharemap.law.overview import STATES, overview
from sharemap.law.vocab import Action
from sharemap.ledger import query
from sharemap.ledger.freshness import freshness
from sharemap.ledger.place import Place, place_from
from sharemap.report.charts import hbars, stacked_bars
from sharemap.report.cite import Citations
from sharemap.report.model import (
    Block,
    Bullets,
    Chart,
    Diagram,
    Note,
    Para,
    Report,
    Section,
    Sentence,
    Table,
)
from sharemap.report.sim import SimRun, check_place, simulation_blocks
from sharemap.sharing import Reach, reviews_for
from sharemap.sharing.orgs import STATE_CODES

WIDER = (
    Encounter.TRAFFIC_STOP,
    Encounter.DMV_RECORD,
    Encounter.PLATE_READ,
    Encounter.TAX_FILING,
    Encounter.MEDICAID_ENROLMENT,
)


@dataclass(frozen=True)
class _Facts:
    """What every section may draw on: the place's coverage on the date, its history, the traces of
    every encounter and the simulation runs given."""

    target: Place
    cov: query.Coverage
    history: list[Agreement]
    traces: dict[Encounter, Trace]
    sims: Sequence[SimRun]

    @property
    def agreements(self) -> list[Agreement]:
        return list(self.cov.agreements)

    @property
    def snap(self) -> tuple[str, dt.date] | None:
        return self.cov.snapshot


SECTIONS: tuple[tuple[str, str, Callable[[_Builder, _Facts], None]], ...] = (
    ("briefing", "Briefing", lambda b, f: _briefing(b, f)),
    ("summary", "Executive summary", lambda b, f: _summary(b, f.cov, f.traces)),
    ("legal", "Legal framework", lambda b, f: _legal(b, f.agreements, f.snap, f.history)),
    (
        "officers",
        "What local officers do under these agreements",
        lambda b, f: _officers(b, f.agreements, f.snap),
    ),
    (
        "backbone",
        "The biometric and records backbone: what happens after a booking",
        lambda b, f: _backbone(b, f.traces),
    ),
    (
        "wider",
        "Wider data sharing: driver records, plate readers, taxes, Medicaid",
        lambda b, f: _wider(b, f.traces),
    ),
    ("elements", "What information is shared", lambda b, f: _elements(b, f.traces)),
    ("simulation", "Simulation outputs (SYNTHETIC people)", lambda b, f: _simulation(b, f)),
    ("informal", "Informal requests", lambda b, f: _informal(b, f.traces)),
    ("perspectives", "Competing perspectives", lambda b, f: _perspectives(b, f.traces)),
    ("unknowns", "What the sources do not say", lambda b, f: _unknowns(b, f.agreements, f.snap, f.traces)),
    ("takeaways", "Practical takeaways", lambda b, f: _takeaways(b, f.agreements, f.snap, f.traces)),
    # the appendices: written by the steps above (the detail they point to), in this order
    ("appendix_paths", "Every path, with the data it carries and its sources", lambda b, f: None),
    ("appendix_provisions", "Provisions in force", lambda b, f: None),
    ("appendix_terms", "Terms read from the agreements", lambda b, f: None),
    ("appendix_elements", "Data elements by channel", lambda b, f: None),
    ("appendix_register", "What the sources do not say, in detail", lambda b, f: None),
)
"""The report's sections in order: a key, a title and the step that writes it. A new section is one
row here and its step; a section whose step writes nothing is left out of the report. The rows whose
key starts with `appendix_` are the appendices (detail after the main body, lettered A, B, ... in the
order they appear); the main body's steps write into them."""

SECTION_TITLES = {key: title for key, title, _ in SECTIONS}
APPENDICES = tuple(key for key in SECTION_TITLES if key.startswith("appendix_"))


Target = Place
"""What a report is about: the ledger's one `Place` type (kept under this name for the public API)."""


resolve = place_from
"""Name a place the way a user would (--county, --state, --agency, --nation); get the report's place."""


# --- the report ------------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, target: Target, day: dt.date, kb: KnowledgeBase, law: Law
    ):
        self.con = con
        self.t = target
        self.day = day
        self.kb = kb
        self.law = law
        self.c = Citations(kb, query.ledger_source(con))
        self.sections: dict[str, Section] = {
            k: Section(k, v, appendix=k in APPENDICES) for k, v in SECTION_TITLES.items()
        }

    def add(self, section: str, block: Block) -> None:
        self.sections[section].blocks.append(block)

    def para(self, section: str, *sentences: Sentence | None) -> None:
        got = tuple(s for s in sentences if s is not None)
        if got:
            self.add(section, Para(got))

    # -- helpers --
    def path_cites(self, p: Path) -> tuple[int, ...]:
        ids: list[str] = []
        for h in p.hops:
            ids.extend(h.edge.channel.sources)
        out = list(self.c.kb_sources(ids))
        for h in p.hops:
            for r in h.edge.rulings:
                for pid in r.provisions:
                    prov = self.law.get(pid)
                    if prov is not None:
                        out.extend(self.c.provision(prov))
        return tuple(dict.fromkeys(out))

    def path_sentence(self, t: Trace, p: Path) -> Sentence:
        chain = " → ".join(self.kb.channels[c].name for c in p.channels)
        names = [self.kb.data_elements[e].name for e in p.elements if e in self.kb.data_elements]
        carried = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        lat = ""
        if p.reaches_ice:
            lat = f"; known latency {format_seconds(p.latency_seconds)}" if p.latency_seconds else ""
            if p.unknown_latency:
                lat += f" ({len(p.unknown_latency)} hop(s) with no disclosed timing)"
        status = p.status.label
        why = f" ({p.reason})" if p.reason and p.status is not EdgeStatus.OPEN else ""
        body = f"{chain}: {status}{why}"
        if p.reaches_ice and carried:
            body += f"; carries {carried} to ICE{lat}"
        return self.c.sentence(body + ".", self.path_cites(p))

    def agreement_cites(self, a: Agreement, snap: tuple[str, dt.date] | None) -> tuple[int, ...]:
        out = [self.c.ice_list(snap[1] if snap else a.last_seen)]
        if a.moa_url:
            out.append(self.c.moa(a.moa_url, a.agency_name, a.signed))
        return tuple(out)


def _models_text(agreements: Sequence[Agreement]) -> str:
    counts = {m: sum(a.model is m for a in agreements) for m in Model287g}
    return ", ".join(f"{n} {m.label} ({m.short})" for m, n in counts.items() if n) or "none"


def in_force(
    con: duckdb.DuckDBPyConnection, target: Place, day: dt.date
) -> tuple[list[Agreement], tuple[str, dt.date] | None]:
    """Agreements covering the place on `day` and the ICE list that says so (None before the lists);
    `query.covering` answers, as for every other surface."""
    cov = query.covering(con, target, day)
    return list(cov.agreements), cov.snapshot


quarterly = query.quarterly
ledger_source = query.ledger_source


def build_report(
    con: duckdb.DuckDBPyConnection,
    target: Place,
    day: dt.date | None = None,
    kb: KnowledgeBase | None = None,
    law: Law | None = None,
    rules: CachedRules | None = None,
    sims: Sequence[SimRun] = (),
) -> Report:
    """The cited report for `target` on `day` (default today).

    `sims`: SYNTHETIC simulation runs for the same place (`sharemap.report.sim.load_run(DIR)` or
    `from_summary`); each is checked against the target (InputError naming the run's file if it
    simulated another place) and shown, cited, in the section "Simulation outputs"."""
    for run in sims:
        check_place(run, target)
    day = day or dt.date.today()
    kb = kb or load_kb()
    law = law or default_law()
    b = _Builder(con, target, day, kb, law)
    cov = query.covering(con, target, day)
    agreements = list(cov.agreements)
    trace_agreements = agreements if target.kind != "nation" else []  # a state: its counties' too
    graph = instantiate(target, day, trace_agreements, rules or CachedRules(), kb)
    facts = _Facts(
        target, cov, query.ever_covering(con, target), {e: trace(graph, e) for e in Encounter}, sims
    )
    for _key, _title, write in SECTIONS:
        write(b, facts)
    return Report(
        kind=target.kind,
        key=target.key,
        place=target.label,
        date=day,
        title=(
            f"How local law enforcement and ICE share identity information: {target.label}, {day.isoformat()}"
        ),
        sections=_lettered([s for s in b.sections.values() if s.blocks]),
        references=list(b.c.refs),
        followups=_followups(target, agreements),
        generated=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )


def _lettered(sections: list[Section]) -> list[Section]:
    """The appendices that have content, titled "Appendix A: ...", "Appendix B: ..." in order."""
    letters = iter("ABCDEFGHIJ")
    for sec in sections:
        if sec.appendix:
            sec.title = f"Appendix {next(letters)}: {sec.title}"
    return sections


def _see(appendix: str) -> str:
    """A pointer from the main body to an appendix, by its title (the letter depends on what is there)."""
    return f"appendix '{SECTION_TITLES[appendix]}'"


BRIEFING_CITES = 4  # the first sources of a headline; the encounter's section cites them all
BRIEFING_ENCOUNTERS = (Encounter.BOOKING, Encounter.TRAFFIC_STOP, Encounter.DMV_RECORD, Encounter.PLATE_READ)


def _briefing(b: _Builder, f: _Facts) -> None:
    """The first page: what reaches ICE from the main encounters (the plain-words answer), five key
    facts, and what is not known; the sections after it are the detail and the evidence."""
    if f.target.kind == "nation":
        return
    listed_cite = b.c.ice_list(f.snap[1] if f.snap else None)
    card = plain_answer(f.traces.values(), law=b.law)
    found = {e.encounter: e for e in card.encounters}

    def cited(s: AnswerSentence, *more: int) -> Sentence | None:
        cites = (*(b.c.source(src) for src in s.sources), *more)
        return b.c.sentence(s.text, cites) if cites else None

    heads = []
    for enc in BRIEFING_ENCOUNTERS:
        e = found.get(enc)
        if e is not None:
            refs = tuple(dict.fromkeys(b.c.source(src) for s in e.sentences for src in s.sources))
            heads.append(b.c.sentence(e.headline.text, refs[:BRIEFING_CITES] or (listed_cite,)))
    b.add(
        "briefing",
        Note("In brief: the answer first; the sections after this page give the detail and evidence."),
    )
    b.add("briefing", Bullets(tuple(heads)))
    booking = found.get(Encounter.BOOKING)
    automatic = next((s for s in booking.sentences if s.sources), None) if booking else None
    plate = found.get(Encounter.PLATE_READ)
    practice = next((s for s in plate.sentences if s.text.startswith("In practice")), None) if plate else None
    facts = [
        _coverage_sentence(b, f.cov, listed_cite),
        _state_law_sentence(b),
        _freshness(b, listed_cite)[0],
        cited(automatic) if automatic else None,
        cited(practice) if practice else None,
    ]
    b.add("briefing", Note("Key facts:"))
    b.add("briefing", Bullets(tuple(x for x in facts if x is not None)))

    def counting(words: tuple[str, ...]) -> int:
        return sum(any(w in s.text for s in e.sentences for w in words) for e in card.encounters)

    unresearched, untimed = (
        counting(("has not researched",)),
        counting(("not disclosed", "no time is published")),
    )
    b.add("briefing", Note("What is not known:"))
    if unresearched:
        b.add(
            "briefing",
            Note(
                f"For {unresearched} of the {len(card.encounters)} encounters sharemap has not researched "
                "part of the state's law, so what it says there is not known."
            ),
        )
    if untimed:
        b.add("briefing", Note(f"For {untimed} encounters the time some steps take is not published."))
    listed = (
        f"{len(b.kb.not_found)} questions the public sources do not answer are listed in "
        f"{_see('appendix_register')}."
    )
    b.add("briefing", Bullets((b.c.sentence(listed, b.c.not_found_register()),)))


def _simulation(b: _Builder, f: _Facts) -> None:
    for blk in simulation_blocks(b.c, b.kb, b.law, f.sims, f.target, f.snap[1] if f.snap else None):
        b.add("simulation", blk)


def _freshness(b: _Builder, listed_cite: int) -> list[Sentence]:
    """How old the list behind the figures is on the report date, and ICE's later published count."""
    f = freshness(b.con, b.day, None if b.t.kind == "nation" else b.t.state)
    out = [b.c.sentence(f.note + ".", listed_cite)]
    if f.warning:
        cite = b.c.published_count(f.published.list_date, f.published.source_sheet) if f.published else None
        out.append(b.c.sentence(f.warning, cite if cite is not None else listed_cite))
    return out


def _summary(b: _Builder, cov: query.Coverage, traces: dict[Encounter, Trace]) -> None:
    """The opening paragraph: what covers the place, how fresh the list is, the state's law, and what
    a booking sends to ICE; then a note on what the trace stands for."""
    listed_cite = b.c.ice_list(cov.snapshot[1] if cov.snapshot else None)
    booking = traces[Encounter.BOOKING]
    b.para(
        "summary",
        _coverage_sentence(b, cov, listed_cite),
        *_freshness(b, listed_cite),
        _state_law_sentence(b),
        *_booking_sentences(b, booking),
        _elements_sentence(b, booking),
    )
    if b.t.kind == "state":
        b.add(
            "summary",
            Note(
                "The trace in this report is for the state as a whole: a route that needs a 287(g) "
                "agreement is in place if any agency in the state holds one; county pages show each "
                "county's agreements."
            ),
        )
    if b.t.kind == "nation":
        b.add(
            "summary",
            Note("The trace in this report shows federal law only; state pages show each state's law."),
        )


def _coverage_sentence(b: _Builder, cov: query.Coverage, listed_cite: int) -> Sentence:
    if cov.snapshot:
        lead = (
            f"ICE's list of participating agencies published on or before {b.day.isoformat()} "
            f"(captured {cov.snapshot[1].isoformat()})"
        )
    else:
        lead = (
            f"ICE's lists, read back to {b.day.isoformat()} from signing dates "
            "(no list captured yet on that date)"
        )
    models = f": {_models_text(cov.agreements)}" if cov.agreements else ""
    return b.c.sentence(f"{lead} shows {cov.words()}{models}.", listed_cite)


def _state_law_sentence(b: _Builder) -> Sentence | None:
    """The state's stance on the report date, cited to the state's own provisions (None: none decide)."""
    t, c = b.t, b.c
    if t.kind == "nation":
        return None
    ov = overview(t.state, b.day, b.law)
    cites = [
        n
        for cell in ov.cells
        if cell.state_decided
        for prov in cell.ruling.provisions
        if prov.jurisdiction == t.state
        for n in c.provision(prov)
    ]
    if not cites:
        return None
    return c.sentence(f"State law ({t.state}) on this date: {_stance_text(ov.to_dict())}.", cites)


def _booking_sentences(b: _Builder, booking: Trace) -> list[Sentence]:
    """How many paths from a booking reach ICE, and (up to two) that run without a local decision."""
    if not booking.paths:
        return []
    c = b.c
    reach = [p for p in booking.paths if p.reaches_ice]
    closed = booking.by_status(EdgeStatus.CLOSED_BY_LAW)
    inactive = booking.by_status(EdgeStatus.INACTIVE)
    cites = [n for p in booking.paths for n in b.path_cites(p)]
    out = [
        c.sentence(
            f"After a booking, {len(reach)} of {len(booking.paths)} known paths carry identity data "
            f"to ICE (open or conditional); {len(closed)} are closed by law and {len(inactive)} "
            "are not in place here.",
            _cap(cites),
        )
    ]
    auto = [p for p in booking.by_status(EdgeStatus.OPEN) if p.local_can_decline is False]
    for p in auto[:2]:
        chain = " → ".join(b.kb.channels[x].name for x in p.channels)
        out.append(c.sentence(f"One path runs without any local decision: {chain}.", b.path_cites(p)))
    return out


def _elements_sentence(b: _Builder, booking: Trace) -> Sentence | None:
    elements = booking.elements_reaching
    if not elements:
        return None
    names = [b.kb.data_elements[e].name for e in elements]
    cites = [n for p in booking.paths if p.reaches_ice for n in b.path_cites(p)]
    return b.c.sentence(
        f"{len(names)} kinds of data element reach ICE after a booking on open or conditional paths, "
        f"among them {', '.join(names[:6])}.",
        _cap(cites),
    )


_STANCE_PHRASE = {
    "limits": "limits cooperation with ICE",
    "requires": "requires cooperation with ICE",
    "mixed": "both limits and requires cooperation with ICE",
}


def _cap(cites: list[int], n: int = 12) -> tuple[int, ...]:
    """The first `n` distinct citations of a sentence that sums up many sourced paths (the paths
    themselves, each with all its sources, follow in the backbone section)."""
    return tuple(dict.fromkeys(cites))[:n]


def _stance_text(ov: dict[str, Any]) -> str:
    def words(actions: list[str]) -> str:
        return "; ".join(action_label(Action(a)) for a in actions)

    parts = []
    if ov["prohibited"]:
        parts.append("it prohibits: " + words(ov["prohibited"]))
    if ov["required"]:
        parts.append("it requires: " + words(ov["required"]))
    if ov["conditional"]:
        parts.append("it sets conditions on: " + words(ov["conditional"]))
    return f"{ov['stance']}; " + ("; ".join(parts) if parts else "no state provision decides an action")


def _legal(
    b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None, history: list[Agreement]
) -> None:
    """The legal framework: growth over time, the agreements (by state for the nation), what the
    state's law answers, and the provisions in force."""
    chart = growth_chart(b.con, b.t, b.c)
    if chart is not None:
        b.add("legal", chart)
    if b.t.kind == "nation":
        _by_state_table(b, agreements, snap)
        _stances_by_state(b)
    else:
        _agreements_table(b, agreements, snap)
        _earlier_agreements(b, agreements, history)
        _law_answers(b)
    if _provisions_in_force(b):
        b.add(
            "legal",
            Note(f"Each provision in force on this date, with its citation: {_see('appendix_provisions')}."),
        )


def _by_state_table(b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None) -> None:
    by_state: dict[str, list[Agreement]] = {}
    for a in agreements:
        by_state.setdefault(a.state, []).append(a)
    rows: list[tuple[str, ...]] = []
    for st, ags in sorted(by_state.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        counts = {m: sum(a.model is m for a in ags) for m in Model287g}
        rows.append((st, str(len(ags)), *(str(counts[m]) for m in Model287g)))
    cite = (b.c.ice_list(snap[1] if snap else None),)
    b.add(
        "legal",
        Table(
            ("state", "agreements", "JEM", "TFM", "WSO"),
            tuple(rows),
            tuple(cite for _ in rows),
            caption="287(g) agreements in force by state",
        ),
    )


def _stances_by_state(b: _Builder) -> None:
    """Which states' own law limits, requires or mixes cooperation on the date, cited per stance."""
    c = b.c
    stances: dict[str, list[str]] = {}
    stance_cites: dict[str, list[int]] = {}
    for st in STATES:
        ov = overview(st, b.day, b.law)
        stances.setdefault(ov.stance, []).append(st)
        for cell in ov.cells:
            if cell.state_decided:
                for prov in cell.ruling.provisions:
                    if prov.jurisdiction == st:
                        stance_cites.setdefault(ov.stance, []).extend(c.provision(prov))
    items = [
        c.sentence(
            f"States whose own law {_STANCE_PHRASE.get(k, k)} on this date ({len(v)}): {', '.join(v)}.",
            stance_cites[k],
        )
        for k, v in sorted(stances.items())
        if k in stance_cites
    ]
    if items:
        b.add("legal", Bullets(tuple(items)))


def _agreements_table(b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None) -> None:
    if not agreements:
        return
    rows = tuple(
        (
            a.agency_name,
            f"{a.model.label} ({a.model.short})",
            a.signed.isoformat() if a.signed else "not given",
            a.first_seen.isoformat(),
            a.last_seen.isoformat(),
        )
        for a in agreements
    )
    b.add(
        "legal",
        Table(
            ("agency", "model", "signed", "first listed", "last listed"),
            rows,
            tuple(b.agreement_cites(a, snap) for a in agreements),
            tuple(a.moa_url for a in agreements),
            caption="287(g) agreements in force on this date",
        ),
    )


def _earlier_agreements(b: _Builder, agreements: list[Agreement], history: list[Agreement]) -> None:
    current = {x.agreement_id for x in agreements}
    ended = [a for a in history if a.agreement_id not in current and a.last_seen < b.day]
    if ended:
        b.para(
            "legal",
            b.c.sentence(
                f"{len(ended)} other agreement(s) for this place appear on ICE's earlier lists but "
                "not on the list in force on this date.",
                b.c.ice_list(None),
            ),
        )


def _law_answers(b: _Builder) -> None:
    """The state's answer to each question its own law decides on the date, cited."""
    c, t = b.c, b.t
    decided = [cell for cell in overview(t.state, b.day, b.law).cells if cell.state_decided]
    answers = [
        c.sentence(answer(cell.ruling), [n for p in cell.ruling.provisions for n in c.provision(p)])
        for cell in decided
    ]
    if answers:
        b.add("legal", Note(f"What {t.state}'s law answers on {b.day.isoformat()}, by question:"))
        b.add("legal", Bullets(tuple(answers)))


def _provisions_in_force(b: _Builder) -> int:
    """The state's and the federal provisions in force on the date, each cited, in the appendix; how
    many were listed."""
    juris = [b.t.state] if b.t.kind != "nation" else []
    juris.append("US")
    listed = 0
    for j in juris:
        provs = [x for x in b.law.for_jurisdiction(j) if x.in_force_on(b.day)]
        if not provs:
            if j != "US":
                b.add("legal", Note(f"The law rule base records no provision of {j} in force on this date."))
            continue
        items = [_provision_sentence(b.c, x) for x in provs]
        who = "Federal provisions" if j == "US" else f"{j} provisions"
        b.add("appendix_provisions", Note(f"{who} in force on {b.day.isoformat()} ({len(items)}):"))
        b.add("appendix_provisions", Bullets(tuple(items)))
        listed += len(items)
    return listed


def _provision_sentence(c: Citations, p: Provision) -> Sentence:
    since = p.effective_from.isoformat()
    return c.sentence(
        f"{p.citation} ({p.title}), in force since {since}, {p.effect.value.replace('_', ' ')}: "
        f"{p.summary.strip()}",
        c.provision(p),
    )


def _officers(b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None) -> None:
    c = b.c
    models = sorted({a.model for a in agreements}, key=lambda m: m.short)
    for prog in b.kb.programs.values():
        if prog.model in models and prog.functions:
            items = [
                c.sentence(f"{prog.name}: {f.text}", c.kb_sources(f.sources or prog.sources))
                for f in prog.functions
            ]
            b.add("officers", Bullets(tuple(i for i in items if i.cites)))
    if b.t.kind == "nation":
        b.add("officers", Note("Agreement terms are shown on county and agency pages, per agreement."))
        return
    urls = [a.moa_url for a in agreements if a.moa_url]
    terms = query.moa_terms_for(b.con, [u for u in urls if u])
    by_file = {
        u.rsplit("/", 1)[-1].replace("%20", " ").strip(): a for a in agreements for u in [a.moa_url] if u
    }
    rows, cites = [], []
    for tm in terms:
        if tm.get("category") in ("party",) or tm.get("status") not in (None, "ok"):
            continue
        a = by_file.get(tm["file"])
        if a is None or not a.moa_url:
            continue
        page = str(tm.get("page") or tm.get("pages") or "")
        rows.append((a.agency_name, str(tm.get("label") or tm.get("term")), str(tm.get("value") or ""), page))
        cites.append((c.moa(a.moa_url, a.agency_name, a.signed, page or None),))
        if len(rows) >= 60:
            break
    if rows:
        b.add(
            "officers",
            Note(f"Terms read from the agreements, with page references: {_see('appendix_terms')}."),
        )
        b.add(
            "appendix_terms",
            Table(
                ("agency", "term", "value", "page"),
                tuple(rows),
                tuple(cites),
                caption="Terms read from the agreements (MOA PDFs), with page references",
            ),
        )
    elif agreements:
        b.add(
            "officers",
            Note(
                "No terms could be read from the agreements in force here (the PDF was not read, or "
                "not published); see the MOA links in the table of agreements."
            ),
        )


def _backbone(b: _Builder, traces: dict[Encounter, Trace]) -> None:
    """Per encounter, how many paths are in each status and the trace as a picture; every path in
    words goes to the appendix."""
    for enc in (Encounter.BOOKING, Encounter.JAIL_RELEASE):
        t = traces[enc]
        if not t.paths:
            continue
        name = b.kb.encounters[enc].name if enc in b.kb.encounters else enc.value
        cites = [n for p in t.paths for n in b.path_cites(p)]
        b.para("backbone", _status_sentence(b, name, t, cites))
        _paths_appendix(b, name, t)
        b.add(
            "backbone",
            Diagram(
                _grouped(tuple(_diagram_path(b.kb, p) for p in t.paths)),
                b.c.sentence(f"Paths from {name.lower()} to ICE, coloured by status.", cites),
            ),
        )
    if b.sections["backbone"].blocks:
        b.add(
            "backbone",
            Note(f"Each path, with the data it carries and its sources: {_see('appendix_paths')}."),
        )


def _status_sentence(b: _Builder, name: str, t: Trace, cites: list[int]) -> Sentence:
    """How many of an encounter's known paths are open, conditional, closed by law or not in place."""
    counts = [(s.label, len(t.by_status(s))) for s in EdgeStatus]
    said = ", ".join(f"{n} {label.lower()}" for label, n in counts if n)
    return b.c.sentence(f"{name}: {len(t.paths)} known paths to ICE systems ({said}).", _cap(cites))


def _paths_appendix(b: _Builder, name: str, t: Trace) -> None:
    """Every path of an encounter, each with its status, the data it carries and all its sources."""
    b.add("appendix_paths", Note(f"{name}:"))
    b.add("appendix_paths", Bullets(tuple(b.path_sentence(t, p) for p in t.paths)))


def _grouped(paths: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """Paths through the same systems with the same status drawn once, with how many routes they are
    (several channels often join the same two systems); the appendix lists each route."""
    out: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for p in paths:
        key = (p["status"], tuple(p["systems"]))
        if key in out:
            out[key]["count"] += 1
            out[key]["channels"] = [
                f"{a}; {b}" if a != b else a for a, b in zip(out[key]["channels"], p["channels"], strict=True)
            ]
        else:
            out[key] = {**p, "count": 1}
    return tuple(out.values())


def _diagram_path(kb: KnowledgeBase, p: Path) -> dict[str, Any]:
    systems = [kb.systems[s].name if s in kb.systems else s for s in p.systems()]
    return {
        "status": p.status.value,
        "systems": systems,
        "channels": [kb.channels[x].name for x in p.channels],
        "elements": len(p.elements),
    }


def _wider(b: _Builder, traces: dict[Encounter, Trace]) -> None:
    _sharing_in_practice(b)
    items: list[Sentence] = []
    for enc in WIDER:
        t = traces[enc]
        if not t.paths:
            continue
        name = b.kb.encounters[enc].name if enc in b.kb.encounters else enc.value
        items.append(_status_sentence(b, name, t, [n for p in t.paths for n in b.path_cites(p)]))
        _paths_appendix(b, name, t)
    if items:
        b.add("wider", Bullets(tuple(items)))
        b.add(
            "wider", Note(f"Each path, with the data it carries and its sources: {_see('appendix_paths')}.")
        )


def _sharing_in_practice(b: _Builder) -> None:
    """What the agencies' own plate-reader portals list, beside what the law says (sharemap.sharing)."""
    t, c = b.t, b.c
    if t.kind == "nation" or t.state not in STATE_CODES:
        return
    county = t.key if t.kind == "county" else None
    found = reviews_for(t.state, b.day, county)
    if not found:
        day = b.day.isoformat()
        b.add(
            "wider", Note(f"Plate-reader sharing in practice: no public portal data here on or before {day}.")
        )
        return
    items = []
    for r in found:
        s = r.snapshot
        far, fed = len(r.outbound[Reach.OUT_OF_STATE]), len(r.outbound[Reach.FEDERAL])
        cites = [c.portal(s.slug, s.agency, s.date, s.source)]
        cites += [n for f in r.findings for p in f.provisions for n in c.provision(p)]
        text = (
            f"{s.agency}'s portal of {s.date.isoformat()} lists {len(s.outbound)} organisations it shares "
            f"its plate-reader cameras with: {far} out of state, {fed} federal."
        )
        if r.findings:  # a finding's sentence states the counts and the law that bars the sharing
            text = " ".join(f.text for f in r.findings)
        items.append(c.sentence(text, cites))
    b.add("wider", Note("Plate-reader sharing in practice (the agencies' own transparency portals):"))
    b.add("wider", Bullets(tuple(items)))


def _elements(b: _Builder, traces: dict[Encounter, Trace]) -> None:
    kb, c = b.kb, b.c
    per_channel: dict[str, set[str]] = {}
    for t in traces.values():
        for p in t.paths:
            if not p.reaches_ice:
                continue
            for h in p.hops:
                per_channel.setdefault(h.channel, set()).update(h.edge.forward)
    if not per_channel:
        b.add("elements", Note("No open or conditional path reaches ICE here."))
        return
    rows, cites = [], []
    order = sorted(per_channel, key=lambda x: (-len(per_channel[x]), x))
    for ch in order:
        els = [kb.data_elements[e].name for e in kb.data_elements if e in per_channel[ch]]
        rows.append((kb.channels[ch].name, str(len(els)), ", ".join(els)))
        cites.append(c.kb_sources(kb.channels[ch].sources))
    b.add(
        "appendix_elements",
        Table(
            ("channel", "elements", "data elements carried"),
            tuple(rows),
            tuple(cites),
            caption="Data elements by channel, on paths that reach ICE here",
        ),
    )
    shown = order[:10]  # the chart's bars are the table's first rows, with the same counts
    all_cites = tuple(n for ch in shown for n in cites[order.index(ch)])
    svg = hbars(
        [(kb.channels[ch].name, len(per_channel[ch])) for ch in shown], "Data elements carried, by channel"
    )
    more = f" (the {len(shown)} carrying most)" if len(shown) < len(order) else ""
    b.add(
        "elements",
        Chart(
            svg,
            c.sentence(
                f"Number of data elements each channel{more} carries toward ICE on open or conditional "
                "paths here.",
                _cap(list(all_cites)),
            ),
            "bar chart of data elements by channel",
        ),
    )
    b.add("elements", Note(f"The elements each channel carries, by name: {_see('appendix_elements')}."))


def _informal(b: _Builder, traces: dict[Encounter, Trace]) -> None:
    t = traces[Encounter.INFORMAL_REQUEST]
    if t.paths:
        b.add("informal", Bullets(tuple(b.path_sentence(t, p) for p in t.paths)))
    for enc in (Encounter.INFORMAL_REQUEST,):
        spec = b.kb.encounters.get(enc)
        if spec and spec.description and spec.sources:
            b.para("informal", b.c.sentence(spec.description.strip(), b.c.kb_sources(spec.sources)))


def _perspectives(b: _Builder, traces: dict[Encounter, Trace]) -> None:
    c, kb = b.c, b.kb
    # a channel applies here when it is on a path in place here (not one that needs an absent agreement)
    here = {
        ch
        for t in traces.values()
        for p in t.paths
        if p.status is not EdgeStatus.INACTIVE
        for ch in p.channels
    }
    purposes: list[Sentence] = []
    risks: list[Sentence] = []
    for cid, ch in kb.channels.items():
        for note in ch.notes:
            text = note.text.strip()
            cites = c.kb_sources(note.sources or ch.sources)
            if not cites:
                continue
            if cid not in here and b.t.kind != "nation":
                continue  # a channel that is not on this place's paths does not apply here
            where = "" if cid in here else " (channel not on this place's paths)"
            if text.lower().startswith("stated purpose"):
                purposes.append(c.sentence(f"{ch.name}{where} — {text}", cites))
            elif text.lower().startswith("documented risk"):
                risks.append(c.sentence(f"{ch.name}{where} — {text}", cites))
    if purposes:
        b.add("perspectives", Note("Stated purposes (ICE and DHS):"))
        b.add("perspectives", Bullets(tuple(purposes)))
    if risks:
        b.add("perspectives", Note("Documented risks:"))
        b.add("perspectives", Bullets(tuple(risks)))


def _untimed(b: _Builder, traces: dict[Encounter, Trace]) -> list[Sentence]:
    """One cited sentence per channel on a path that reaches ICE whose timing is not disclosed."""
    c = b.c
    out: list[Sentence] = []
    seen: set[str] = set()
    for t in traces.values():
        for p in t.paths:
            for h in p.hops if p.reaches_ice else ():
                ch = h.edge.channel
                if ch.latency.disclosed or ch.id in seen:
                    continue
                seen.add(ch.id)
                cites = c.kb_sources(ch.latency.sources or ch.sources)
                why = ch.latency.text.strip()
                more = f" ({why})" if why and why.lower() != "not disclosed" else ""
                if cites:
                    out.append(c.sentence(f"How long {ch.name} takes is not disclosed{more}.", cites))
    return out


def _unknowns(
    b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None, traces: dict[Encounter, Trace]
) -> None:
    """What the sources do not say: in short here, each item in the appendix."""
    c, kb = b.c, b.kb
    items: list[Sentence] = []
    untimed = _untimed(b, traces)
    if untimed:
        b.add(
            "appendix_register", Note("Steps on the paths that reach ICE here whose timing is not disclosed:")
        )
        b.add("appendix_register", Bullets(tuple(untimed)))
        items.append(
            c.sentence(
                f"For {len(untimed)} steps on the paths that reach ICE here the time taken is not disclosed "
                f"({_see('appendix_register')}).",
                _cap([n for s in untimed for n in s.cites]),
            )
        )
    reg = c.not_found_register()
    register = [c.sentence(f"{nf.topic}: {nf.detail}", reg) for nf in kb.not_found]
    if register:
        b.add("appendix_register", Note("Looked for by the research and not found in public sources:"))
        b.add("appendix_register", Bullets(tuple(register)))
        items.append(
            c.sentence(
                f"The knowledge base records {len(register)} questions the research looked for and did not "
                f"find answered in public sources ({_see('appendix_register')}).",
                reg,
            )
        )
    unsigned = [a for a in agreements if a.signed is None]
    if unsigned:
        items.append(
            c.sentence(
                f"ICE's list gives no signing date for {len(unsigned)} of the agreements in force here.",
                c.ice_list(snap[1] if snap else None),
            )
        )
    no_moa = [a for a in agreements if not a.moa_url]
    if no_moa:
        items.append(
            c.sentence(
                f"ICE's list links no agreement document for {len(no_moa)} of the agreements in force here.",
                c.ice_list(snap[1] if snap else None),
            )
        )
    if items:
        b.add("unknowns", Bullets(tuple(items)))


def _takeaways(
    b: _Builder, agreements: list[Agreement], snap: tuple[str, dt.date] | None, traces: dict[Encounter, Trace]
) -> None:
    c, kb = b.c, b.kb
    items: list[Sentence] = []
    if b.t.kind != "nation":
        for a in agreements[:10]:
            if a.moa_url:
                items.append(
                    c.sentence(
                        f"Read the {a.model.short} agreement of {a.agency_name} on ICE's site: {a.moa_url}",
                        c.moa(a.moa_url, a.agency_name, a.signed),
                    )
                )
    items.append(
        c.sentence(
            "ICE publishes the lists of participating and pending agencies at "
            f"{c.ledger_source.get('url') or 'ice.gov'}.",
            c.ice_list(snap[1] if snap else None),
        )
    )
    pia_ids: list[str] = []
    for t in traces.values():
        for p in t.paths:
            for h in p.hops:
                for sid in h.edge.channel.sources:
                    s = kb.sources.get(sid)
                    if s and "PIA" in s.title and sid not in pia_ids:
                        pia_ids.append(sid)
    for sid in pia_ids[:12]:
        s = kb.sources[sid]
        n = c.kb_source(sid)
        if n is not None:
            items.append(c.sentence(f"Privacy impact assessment: {s.title}.", n))
    if b.t.kind != "nation":
        for prov in [x for x in b.law.for_jurisdiction(b.t.state) if x.in_force_on(b.day)][:10]:
            items.append(c.sentence(f"State law to read: {prov.citation} ({prov.title}).", c.provision(prov)))
    b.add("takeaways", Bullets(tuple(items)))


def _followups(target: Target, agreements: Sequence[Agreement]) -> list[str]:
    out = []
    if agreements:
        out.append(
            "Which functions does each agreement here delegate, and how many officers are trained under it?"
        )
        out.append(
            "How many people booked here were the subject of an ICE detainer or notification request "
            "last year?"
        )
    else:
        out.append(
            "Is any agency here on ICE's pending list, and what would a signed agreement change? "
            "(see the trace with a hypothetical model)"
        )
    out.append(
        "What do the jail's notification logs and the plate-reader search audit show about requests from ICE?"
    )
    out.append(
        "Which state or local policies govern sharing of driver records and plate-reader data with "
        "federal agencies here?"
    )
    if target.kind == "nation":
        out.append("How have agreements grown by model and state since 2025?")
    return out


def iter_cites(report: Report) -> Iterable[int]:
    for s in report.sentences():
        yield from s.cites
    for sec in report.sections:
        for blk in sec.blocks:
            if isinstance(blk, Table):
                for cs in blk.cites:
                    yield from cs


def growth_chart(con: duckdb.DuckDBPyConnection, target: Target, c: Citations) -> Chart | None:
    labels, series, listed = quarterly(con, target)
    if not labels or not any(sum(v) for v in series.values()):
        return None
    svg = stacked_bars(labels, series, f"287(g) agreements in force at each quarter end: {target.label}")
    cite = c.ice_list(None, (min(listed), max(listed)))
    return Chart(
        svg,
        c.sentence(
            f"Agreements on ICE's latest complete list at each quarter end, {labels[0]} to {labels[-1]}, "
            "by model.",
            cite,
        ),
        "stacked bar chart of agreements by quarter and model",
    )


def rulings_of(state: str, day: dt.date, law: Law) -> list[dict[str, Any]]:
    """Each action's ruling in the state, with the provisions (for the state page)."""
    ov = overview(state, day, law)
    out = []
    for cell in ov.cells:
        out.append(
            {
                "action": cell.action.value,
                "actor": cell.actor.value,
                "effect": cell.ruling.effect.value,
                "state_decided": cell.state_decided,
                "provisions": [p.id for p in cell.ruling.provisions],
            }
        )
    return out
