"""The types that travel between the steps of an audit (plan, scan, evidence, summary, findings).

They live here, below every step, so that no step imports another to know a shape: the planner makes
`FileTask`s, the scan returns a `FilePartial` holding `Group`s and `RuleHit`s, the evidence step fills
the hits' rows, and the summary and the findings read them. All are plain dataclasses (picklable for
the process pool and Ray).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sharemap.audit.schema import Evidence, FileRead, ReadIssue

if TYPE_CHECKING:
    from sharemap.audit.lawlink import RetentionPeriod
    from sharemap.audit.pieces import CsvPiece


@dataclass(frozen=True)
class AuditOptions:
    """Settings of one run; every task gets the same copy."""

    state: str | None = None
    format: str | None = None
    mapping: str | None = None
    encoding: str | None = None
    org: str | None = None
    retention_days: float | None = None  # given: one limit for every search
    retention_periods: tuple[RetentionPeriod, ...] = ()  # else the state's limits, by search date
    sweep_networks: int = 100
    sweep_devices: int = 10_000
    evidence_limit: int = 100
    issue_limit: int | None = 200  # problem rows listed per file (None: all); the total is always counted
    sheet: str | None = None  # XLSX: the worksheet to read (default: the first visible one)
    hidden_sheets: bool = False  # XLSX: hidden sheets may be read too
    reveal: bool = False
    terms: str | None = None
    threads: int | None = None
    memory_limit: str = "1GB"


@dataclass(frozen=True)
class FileTask:
    """One unit of work: a file, a Parquet record range of it, or a byte range (piece) of a CSV."""

    index: int  # position of the task; tasks are in file order, then row order
    path: str
    options: AuditOptions
    key: bytes
    out_part: str | None = None
    file_index: int = 0
    rows: tuple[int, int] | None = None  # Parquet: records [start, end) of the file
    piece: CsvPiece | None = None  # CSV: a byte range of the file
    pick: tuple[int, ...] = ()  # pick_rows: the evidence rows wanted (numbered as audit_file did)


@dataclass(frozen=True)
class ReasonClass:
    """How the classifier read one distinct stated reason."""

    category: str
    level: str | None = None
    terms: tuple[str, ...] = ()


UNCLASSIFIED = ReasonClass("")


@dataclass(frozen=True)
class OrgClass:
    """One distinct organisation: its state and its kind relative to the audited state (`kind`), and
    the sharing resolver's kind of body (`org_type`: police, federal_immigration, ...) and basis."""

    state: str | None
    kind: str
    org_type: str = "unknown"
    basis: str | None = None

    @property
    def flag(self) -> str:
        """The value the organisation rules match: its relative kind, except that a federal
        immigration agency (ICE, HSI, CBP, ...) is told apart from other federal agencies."""
        return "federal_immigration" if self.org_type == "federal_immigration" else self.kind


UNKNOWN_ORG = OrgClass(None, "unknown")


@dataclass(frozen=True)
class GroupFlags:
    """What the rules look at for a group of rows (the same columns as the `hits` view in SQL)."""

    category: str | None  # the reason's category, when it is one a rule flags
    org_flag: str | None  # the organisation's kind, when the law restricts it
    lb_hit: bool
    sweep_hit: bool


@dataclass
class Group:
    """Readable rows of one organisation with one reason, look-back hit and sweep hit (from the scan)."""

    org: str | None
    reason: str | None
    lb_hit: bool
    sweep_hit: bool
    count: int
    max_networks: int | None
    max_devices: int | None
    max_lookback: float | None
    rows: list[int]  # the first `evidence_limit` row numbers


def _larger(a: float | None, b: float | None) -> float | None:
    return b if a is None or (b is not None and b > a) else a


@dataclass
class RuleHit:
    """The rows of one organisation that break one rule: counts, largest reach, first rows."""

    count: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    terms: Counter[str] = field(default_factory=Counter)
    max_networks: int | None = None
    max_devices: int | None = None
    max_lookback: float | None = None
    rows: list[tuple[int, int]] = field(default_factory=list)  # (number read, file row), first rows
    evidence: list[Evidence] = field(default_factory=list)
    span: tuple[dt.date, dt.date] | None = None  # first and last search, where a file states them

    def add_group(self, g: Group) -> None:
        """Count a scanned group in (its row numbers are kept as read, for `rows`)."""
        self.count += g.count
        self._widen(g.max_networks, g.max_devices, g.max_lookback)

    def absorb(self, other: RuleHit) -> None:
        """Add another task's hit for the same rule and organisation (tasks in file order)."""
        self.count += other.count
        self.levels.update(other.levels)
        self.terms.update(other.terms)
        self.evidence.extend(other.evidence)
        self._widen(other.max_networks, other.max_devices, other.max_lookback)
        if other.span is not None:
            a, b = self.span or other.span
            self.span = (min(a, other.span[0]), max(b, other.span[1]))

    def _widen(self, networks: int | None, devices: int | None, lookback: float | None) -> None:
        self.max_networks = _larger(self.max_networks, networks)  # type: ignore[assignment]
        self.max_devices = _larger(self.max_devices, devices)  # type: ignore[assignment]
        self.max_lookback = _larger(self.max_lookback, lookback)


HitKey = tuple[str, str | None]  # (rule id, organisation)


@dataclass
class FilePartial:
    """What one task returns (small; merged by `sharemap.audit.summary.merge`)."""

    index: int
    read: FileRead
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    searches: int = 0
    org_reason_month: list[tuple[str | None, str, str | None, int]] = field(default_factory=list)
    networks: dict[int, int] = field(default_factory=dict)
    devices: dict[int, int] = field(default_factory=dict)
    lookback: dict[int, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # pseudonymised unless reveal
    classes: dict[str, ReasonClass] = field(default_factory=dict)
    orgs: dict[str, OrgClass] = field(default_factory=dict)
    hits: dict[HitKey, RuleHit] = field(default_factory=dict)
    issues: list[ReadIssue] = field(default_factory=list)
    issues_total: int = 0
    system: str = "other"
    file_index: int = 0
    piece: bool = False  # a byte range of a CSV: rows numbered from the piece's start until merged
    records: int = 0  # records read or rejected (to number the rows of the next piece)
    rejected: int = 0  # records the CSV parser rejected
    mixed_dates: int = 0  # rows read in a date form other than the file's main one
