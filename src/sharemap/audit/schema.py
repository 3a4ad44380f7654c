"""The one access-event schema every log is read into, and the audit's result types.

Readers turn any supported log (plate-reader audits, DMV, Nlets, jail notification logs) into rows
of `EVENT_COLUMNS`; checks and summaries only ever see those columns. Results are pydantic models so
the CLI, the web app and reports print the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class System(StrEnum):
    """The system a logged query ran against."""

    PLATE_READER = "plate_reader_network"
    DMV = "dmv"
    NLETS = "nlets"
    JAIL_NOTIFICATION = "jail_release_notification"
    OTHER = "other"


class OrgKind(StrEnum):
    """The requesting organisation, relative to the state whose data was searched."""

    LOCAL = "local"
    STATE = "state"
    FEDERAL = "federal"
    OUT_OF_STATE = "out_of_state"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.INFO: 3}

# The access-event schema: (column, DuckDB type, meaning). Every reader produces exactly these.
EVENT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("event_id", "VARCHAR", "the log's own id for the search, if it has one"),
    ("file", "VARCHAR", "source file"),
    ("row", "BIGINT", "row in the source file (header = row 1, first record = row 2)"),
    ("time", "TIMESTAMP", "when the search ran (UTC as logged)"),
    ("org_name", "VARCHAR", "requesting organisation as logged"),
    ("org_state", "VARCHAR", "two-letter state of the requesting organisation, if known"),
    ("org_kind", "VARCHAR", "local, state, federal, out_of_state or unknown (see OrgKind)"),
    ("user", "VARCHAR", "user id or officer name (pseudonymised in every output)"),
    ("system", "VARCHAR", "plate_reader_network, dmv, nlets, jail_release_notification, other"),
    ("subject", "VARCHAR", "plate or subject searched (pseudonymised in every output)"),
    ("window_start", "TIMESTAMP", "start of the time window searched"),
    ("window_end", "TIMESTAMP", "end of the time window searched"),
    ("networks", "BIGINT", "networks searched"),
    ("devices", "BIGINT", "devices (cameras) searched"),
    ("reason", "VARCHAR", "stated reason, verbatim"),
    ("case_number", "VARCHAR", "case number, if logged"),
)
EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(c[0] for c in EVENT_COLUMNS)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadIssue(Model):
    """A row that could not be read, or a notice about how a file was read. Never silently dropped."""

    file: str
    row: int | None = Field(default=None, description="record row (header = 1); None for file notices")
    line: int | None = Field(default=None, description="physical line, when the CSV parser reports it")
    field: str | None = None
    kind: str
    message: str


class FileRead(Model):
    """How one file was read."""

    file: str
    format: str
    format_detected: bool
    container: str
    rows_read: int
    rows_unreadable: int
    time_formats: list[str] = []
    notes: list[str] = []


class Evidence(Model):
    """One row behind a finding. user and subject are pseudonyms unless --reveal was given."""

    file: str
    row: int
    event_id: str | None = None
    time: dt.datetime | None = None
    org_name: str | None = None
    user: str | None = None
    subject: str | None = None
    reason: str | None = None
    networks: int | None = None
    devices: int | None = None
    lookback_days: float | None = None
    matched_terms: list[str] = []


class Citation(Model):
    """A provision a finding rests on, as the law engine gave it."""

    provision_id: str
    citation: str
    title: str | None = None
    url: str | None = None


class LawBasis(Model):
    """What the law engine said about the act a check tests."""

    jurisdiction: str | None
    action: str | None
    effect: str
    provisions: list[Citation] = []
    why: str = ""


class Finding(Model):
    """One rule broken by one requesting organisation: the rows, the law and a plain explanation."""

    rule_id: str
    severity: Severity
    title: str
    explanation: str
    org_name: str | None = None
    org_state: str | None = Field(default=None, description='two-letter state, "US" for federal agencies')
    org_kind: str | None = Field(default=None, description="relative to the audited state (OrgKind)")
    org_type: str | None = Field(
        default=None, description="kind of body, by the sharing resolver: police, sheriff, federal, ..."
    )
    org_basis: str | None = Field(default=None, description="how the state was read from the name")
    count: int
    evidence: list[Evidence] = Field(default=[], description="first rows, in file and row order")
    evidence_total: int = 0
    law: LawBasis | None = None
    details: dict[str, Any] = {}


def ranked(counts: Mapping[str, int], n: int | None = None) -> list[tuple[str, int]]:
    """Most frequent first, ties in name order: the same order whatever the order counts were added
    in (files, pieces and engines differ in that)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


class Histogram(Model):
    """Exact value counts (mergeable across files); medians come from here."""

    counts: dict[int, int] = {}

    def add(self, other: Histogram) -> None:
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def median(self) -> float | None:
        n = self.total
        if n == 0:
            return None
        keys = sorted(self.counts)
        lo_rank, hi_rank = (n - 1) // 2, n // 2
        lo = hi = None
        seen = 0
        for k in keys:
            nxt = seen + self.counts[k]
            if lo is None and lo_rank < nxt:
                lo = k
            if hi_rank < nxt:
                hi = k
                break
            seen = nxt
        assert lo is not None and hi is not None
        return (lo + hi) / 2

    def maximum(self) -> int | None:
        return max(self.counts) if self.counts else None

    def quantile(self, q: float) -> int | None:
        n = self.total
        if n == 0:
            return None
        target = q * (n - 1)
        seen = 0
        for k in sorted(self.counts):
            seen += self.counts[k]
            if seen - 1 >= target:
                return k
        return max(self.counts)


class Summary(Model):
    """Counts and distributions over every readable row of every file."""

    searches: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    users: int = 0
    by_org: dict[str, int] = {}
    by_org_kind: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_month: dict[str, int] = {}
    by_org_category_month: list[dict[str, Any]] = []
    immigration_levels: dict[str, int] = {}
    networks: dict[str, float | int | None] = {}
    devices: dict[str, float | int | None] = {}
    lookback_days: dict[str, Any] = {}
    no_stated_purpose: dict[str, int] = {}
    placeholder_reasons: dict[str, int] = {}
    top_terms: dict[str, int] = {}
    top_reasons: dict[str, int] = {}
    top_users: dict[str, int] = {}


class AuditResult(Model):
    """Everything one audit run produced."""

    files: list[FileRead]
    state: str | None
    engine: str
    pseudonymised: bool
    settings: dict[str, Any]
    summary: Summary
    findings: list[Finding]
    issues: list[ReadIssue]
    issues_total: int
    notices: list[str] = []
