"""Knowledge-base types: systems, channels, data elements, forms, programs, authorities, figures.

Every entry names the sources it rests on by id (`sources: [sc_sop, ...]`); the ids resolve to
`KBSource` records in `kb/data/sources.yaml`. `load.py` checks that every id resolves, that every
entry has at least one source and that channels only name known systems and data elements.

What is unknown stays unknown: a latency with no published figure is `disclosed: false` with the
reason, never a guess.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from sharemap.kb.model import Frozen, Model287g, Source


class SourceType(StrEnum):
    PRIMARY_GOV = "primary_gov"
    GOVERNMENT = "government"
    STATUTE = "statute"
    COURT = "court"
    FOIA_DOC = "foia_doc"
    RESEARCH = "research"
    ADVOCACY = "advocacy"
    NEWS = "news"
    TRADE = "trade"
    REPOST = "repost"
    TRACKER = "tracker"
    WIKI = "wiki"
    WEAK = "weak"


class KBSource(Source):
    """A source in the register: a `Source` plus its id, kind and (when no full date) its year."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    type: SourceType
    year: int | None = None


class Confidence(StrEnum):
    OFFICIAL = "official"
    FOIA_RESEARCH = "foia_research"
    RESEARCH = "research"
    SECONDARY = "secondary"
    WEAK = "weak"
    DERIVED = "derived"
    NOT_FOUND = "not_found"


class Encounter(StrEnum):
    """The eight encounter types a trace starts from."""

    BOOKING = "booking"
    TRAFFIC_STOP = "traffic_stop"
    DMV_RECORD = "dmv_record"
    PLATE_READ = "plate_read"
    TAX_FILING = "tax_filing"
    MEDICAID_ENROLMENT = "medicaid_enrolment"
    JAIL_RELEASE = "jail_release"
    INFORMAL_REQUEST = "informal_request"


class SystemSide(StrEnum):
    """Who runs a system; `ice` systems are the ends of every trace."""

    LOCAL = "local"
    STATE = "state"
    FBI = "fbi"
    DHS = "dhs"
    ICE = "ice"
    OTHER_FEDERAL = "other_federal"
    VENDOR = "vendor"
    NETWORK = "network"


class Mode(StrEnum):
    AUTOMATIC = "automatic"
    DISCRETIONARY = "discretionary"
    INFORMAL = "informal"


class Direction(StrEnum):
    """`forward`: from the channel's `from_system` to its `to_system`; `back`: the reply."""

    FORWARD = "forward"
    BACK = "back"


class Entry(Frozen):
    """Common fields: id, name, a description in the project's own words, and source ids."""

    id: str
    name: str = Field(min_length=1)
    description: str = ""
    sources: tuple[str, ...] = ()


class Cited(Frozen):
    """A sentence with its sources (record counts, restrictions, volumes)."""

    text: str
    sources: tuple[str, ...] = ()


class DataElement(Entry):
    category: str = "identity"
    sensitive: bool = False


class System(Entry):
    operator: str
    side: SystemSide
    applications: tuple[str, ...] = ()
    holds: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    notes: tuple[Cited, ...] = ()


class Carry(Frozen):
    """One data element carried by a channel, in one direction, possibly only for a period."""

    element: str
    direction: Direction = Direction.FORWARD
    note: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    sources: tuple[str, ...] = ()


class Latency(Frozen):
    """A sourced latency figure in seconds, or `disclosed: false` with what is known."""

    disclosed: bool = False
    seconds: float | None = None
    figure: str | None = None
    text: str = "not disclosed"
    sources: tuple[str, ...] = ()


class LawHook(Frozen):
    """The law-engine question that decides whether this channel is open in a state.

    `actor` and `actions` are names in the law engine's vocabulary (`sharemap.law.vocab`); when several
    actions are named, the most restrictive ruling decides. `context` holds the facts of the request
    (legal_process, purpose, recipient, data) in the same vocabulary.
    """

    actor: str
    actions: tuple[str, ...] = Field(min_length=1)
    context: dict[str, str] = Field(default_factory=dict)


class Period(Frozen):
    """A dated change in a channel's standing (an agreement signed, an injunction, a ruling)."""

    start: dt.date
    state: str = Field(pattern=r"^(active|enjoined|ended|limited)$")
    note: str = ""
    sources: tuple[str, ...] = ()


class Channel(Entry):
    from_system: str
    to_system: str
    encounters: tuple[Encounter, ...] = ()
    trigger: str
    mode: Mode
    carries: tuple[Carry, ...]
    latency: Latency = Latency()
    authority: tuple[str, ...] = ()
    authority_text: str = ""
    requires_287g: tuple[Model287g, ...] = ()
    law: LawHook | None = None
    vendor_setting: str | None = None
    local_can_decline: bool | None = None
    decline_note: str = ""
    periods: tuple[Period, ...] = ()
    notes: tuple[Cited, ...] = ()


class Form(Entry):
    form_number: str
    issuer: str
    recipient: str | None = None
    fields: tuple[str, ...] = ()
    title_verified: bool = True


class ProgramKind(StrEnum):
    MODEL_287G = "287g_model"
    PROGRAM = "program"
    FUNDING = "funding_program"


class Program(Entry):
    kind: ProgramKind
    model: Model287g | None = None
    status: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    functions: tuple[Cited, ...] = ()


class Authority(Entry):
    subtype: str
    citation: str = ""
    jurisdiction: str = "US"


class Figure(Entry):
    value: float | int | str | dict[str, Any] | list[Any] | None = None
    unit: str
    period: str
    geography: str = "United States"
    meaning: str
    confidence: Confidence
    derived: bool = False


class EncounterSpec(Entry):
    """Where an encounter enters the graph, and which local actor meets the person."""

    encounter: Encounter
    starts_at: tuple[str, ...]


class NotFound(Frozen):
    topic: str
    detail: str


class KnowledgeBase(Frozen):
    """The whole KB, validated and cross-checked (built by `sharemap.kb.load.load_kb`)."""

    sources: dict[str, KBSource]
    systems: dict[str, System]
    channels: dict[str, Channel]
    data_elements: dict[str, DataElement]
    forms: dict[str, Form]
    programs: dict[str, Program]
    authorities: dict[str, Authority]
    figures: dict[str, Figure]
    encounters: dict[Encounter, EncounterSpec]
    not_found: tuple[NotFound, ...] = ()

    def entry(self, entry_id: str) -> Entry | KBSource | None:
        for table in (
            self.systems,
            self.channels,
            self.data_elements,
            self.forms,
            self.programs,
            self.authorities,
            self.figures,
            self.sources,
        ):
            if entry_id in table:
                return table[entry_id]
        return None

    def cite(self, ids: tuple[str, ...] | list[str]) -> list[KBSource]:
        return [self.sources[i] for i in ids if i in self.sources]
