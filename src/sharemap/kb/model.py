"""The one domain model: every layer speaks these types.

Types are pydantic models so that anything read from YAML, spreadsheets or the database is
validated once, at the edge, and carries its source with it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

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
