"""The one domain model: every layer speaks these types.

Types are pydantic models so that anything read from YAML, spreadsheets or the database is
validated once, at the edge, and carries its source with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class Frozen(BaseModel):
    """Base for value objects: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """Where a fact comes from. `date` is the publication or capture date when known."""

    title: str = Field(min_length=1)
    url: HttpUrl | None = None
    date: dt.date | None = None
    publisher: str | None = None
    note: str | None = None


class Model287g(StrEnum):
    """The three 287(g) models ICE publishes agreements for."""

    JEM = "jail_enforcement_model"
    TFM = "task_force_model"
    WSO = "warrant_service_officer"

    @property
    def label(self) -> str:
        return _MODEL_LABELS[self]

    @property
    def short(self) -> str:
        return self.name


_MODEL_LABELS = {
    Model287g.JEM: "Jail Enforcement Model",
    Model287g.TFM: "Task Force Model",
    Model287g.WSO: "Warrant Service Officer",
}


class AgencyKind(StrEnum):
    SHERIFF = "sheriff"
    POLICE = "police"
    CORRECTIONS = "corrections"
    STATE_AGENCY = "state_agency"
    OTHER = "other"


class ListKind(StrEnum):
    """ICE publishes two lists: signed (participating) agreements and pending requests."""

    PARTICIPATING = "participating"
    PENDING = "pending"


class AgreementStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    SUPERSEDED = "superseded"


class Agency(Frozen):
    """A law-enforcement agency as named on ICE's lists, placed on the map.

    `county_fips` is None for statewide agencies and for agencies that could not be mapped; the
    reason is then in `unmapped_reason`.
    """

    agency_id: str
    name: str
    kind: AgencyKind
    state: str = Field(pattern=r"^[A-Z]{2}$")
    county_fips: str | None = Field(default=None, pattern=r"^\d{5}$")
    county_name: str | None = None
    statewide: bool = False
    ice_type: str | None = None
    unmapped_reason: str | None = None
    name_variants: tuple[str, ...] = ()


class Agreement(Frozen):
    """One 287(g) agreement: an agency, a model and a signed date, seen on ICE's lists."""

    agreement_id: str
    agency_id: str
    agency_name: str
    state: str
    program: str = "287(g)"
    model: Model287g
    signed: dt.date | None
    moa_url: str | None = None
    addendum_url: str | None = None
    status: AgreementStatus
    first_seen: dt.date
    last_seen: dt.date
    ended_on: dt.date | None = None
    superseded_by: str | None = None
    snapshot_count: int = 0
    listed_as: tuple[str, ...] = ()
    """Every name ICE listed this agreement under (typos and renames included)."""


class PendingRequest(Frozen):
    """An agency on ICE's pending list for a model, and whether it later signed."""

    pending_id: str
    agency_id: str
    agency_name: str
    state: str
    model: Model287g | None
    first_seen: dt.date
    last_seen: dt.date
    snapshot_count: int = 0
    signed_agreement_id: str | None = None
    signed_first_seen: dt.date | None = None


class Snapshot(Frozen):
    """One ICE list file as captured on one day."""

    snapshot_id: str
    kind: ListKind
    file_name: str
    sha256: str
    captured: dt.datetime
    date_source: str
    rows: int
    partial: bool = False
    anomalies: tuple[str, ...] = ()


# --- MOA terms ---


class MoaStatus(StrEnum):
    """How much of a 287(g) MOA PDF could be read as text."""

    OK = "ok"
    PARTIAL_TEXT_LAYER = "partial_text_layer"
    NO_TEXT_LAYER = "no_text_layer"


class MoaCategory(StrEnum):
    """Groups of terms read from a 287(g) Memorandum of Agreement."""

    MODEL = "model"
    PARTY = "party"
    SIGNATURE = "signature"
    FUNCTION = "function"
    CUSTODY = "custody"
    PERSONNEL_TRAINING = "personnel_training"
    SUPERVISION = "supervision"
    REPORTING = "reporting"
    RECORDS_DATA = "records_data"
    DURATION_TERMINATION = "duration_termination"
    COSTS = "costs"
    OVERSIGHT = "oversight"
    DOCUMENT = "document"


class MoaTerm(Frozen):
    """One term read from an MOA, with the PDF page numbers (1-based) and a short quote as evidence."""

    category: MoaCategory
    term: str
    label: str
    value: str
    pages: tuple[int, ...] = Field(min_length=1)
    snippet: str = Field(min_length=1)
    party: str | None = None
    date: dt.date | None = None


class MoaTerms(Frozen):
    """Everything read from one 287(g) MOA PDF.

    `terms` holds only what was found in the document. `not_found` lists the vocabulary's term keys
    that were looked for and not found ("not found in document"). Authorised functions are the
    `function` terms; `functions_listed` says whether the list of authorised functions itself was
    found (only then does a missing function mean "not authorised").
    """

    file_name: str
    sha256: str
    page_count: int
    status: MoaStatus
    text_pages: tuple[int, ...] = ()
    model: Model287g | None = None
    lea_name: str | None = None
    functions_listed: bool = False
    terms: tuple[MoaTerm, ...] = ()
    not_found: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    pdf_title: str | None = None
    source_repo: str | None = None
    source_path: str | None = None
    source_commit: str | None = None
    original_url: str | None = None

    def get(self, term: str) -> tuple[MoaTerm, ...]:
        return tuple(t for t in self.terms if t.term == term)

    def by_category(self, category: MoaCategory | str) -> tuple[MoaTerm, ...]:
        return tuple(t for t in self.terms if t.category == category)

    def authorises(self, function: str) -> bool | None:
        """True/False when the authorised-functions list was read; None when it could not be read."""
        if any(t.category == MoaCategory.FUNCTION and t.term == function for t in self.terms):
            return True
        return False if self.functions_listed else None

    def signature_dates(self) -> dict[str, dt.date]:
        return {t.party: t.date for t in self.terms if t.term == "signature_date" and t.party and t.date}


PlaceKind = Literal["nation", "state", "county", "agency"]


@dataclass(frozen=True, slots=True)
class Place:
    """What a question is about: the nation ('US'), a state (code), a county (FIPS) or an agency (id).

    `state` is the state the place lies in ('US' for the nation); `county_fips` is the county of a county
    or of a county agency; `agency_name` is set for agencies.
    """

    kind: PlaceKind
    key: str
    label: str
    state: str
    county_fips: str | None = None
    agency_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "state": self.state,
            "county_fips": self.county_fips,
            "agency_name": self.agency_name,
        }
