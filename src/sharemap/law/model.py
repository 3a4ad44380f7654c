"""The schema of a provision file: what one dated, cited rule of law says."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from sharemap.kb.model import Frozen, Source
from sharemap.law.vocab import (
    Action,
    Actor,
    Authority,
    ConditionKind,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    RetainedData,
    Status,
    Verification,
)

_VALUE_TYPES: dict[ConditionKind, type] = {
    ConditionKind.LEGAL_PROCESS: LegalProcess,
    ConditionKind.PURPOSE: Purpose,
    ConditionKind.RECIPIENT: Recipient,
    ConditionKind.DATA: DataKind,
}


class LawModel(Frozen):
    """Base of the law's value objects. Their validators are built on first validation, not at import
    (`defer_build`): a ruling served from law/cache.py validates nothing and skips that cost."""

    model_config = ConfigDict(defer_build=True)


class Condition(LawModel):
    """A test on the facts of a request: an exception to a rule, or a condition of a permission.

    `kind` names the fact; for legal_process, purpose, recipient and data the fact must be one of
    `values`; the flag kinds (listed_conviction, consent, written_assurance) test that the flag is true.
    `text` says in plain words what the law asks.
    """

    kind: ConditionKind
    values: tuple[str, ...] = ()
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check_values(self) -> Condition:
        vocab = _VALUE_TYPES.get(self.kind)
        if vocab is None:
            if self.values:
                raise ValueError(f"condition kind {self.kind.value!r} takes no values")
            return self
        if not self.values:
            raise ValueError(f"condition kind {self.kind.value!r} needs at least one value")
        for v in self.values:
            try:
                vocab(v)
            except ValueError:
                allowed = ", ".join(m.value for m in vocab)  # type: ignore[attr-defined]
                raise ValueError(f"unknown {self.kind.value} {v!r}; allowed: {allowed}") from None
        return self


class Scope(LawModel):
    """Limits a provision to requests with these purposes, recipients or data kinds (empty = any)."""

    purpose: tuple[Purpose, ...] = ()
    recipient: tuple[Recipient, ...] = ()
    data: tuple[DataKind, ...] = ()


class RetentionLimit(LawModel):
    """How long the law lets an agency keep one kind of data (the `retention` block of a provision).

    days: the longest the data may be held, counted from collection. months: the same, for a law
    that counts in months (then days is left out). Both null when the law only requires the agency
    to adopt a retention policy and sets no number. applies_to: which data and whose (in our own
    words). exceptions: when data may be kept longer (an ongoing investigation, a warrant, a
    preservation request), in plain words; they are reported, not tested.
    """

    data: RetainedData
    days: int | None = Field(default=None, strict=True, ge=1)
    months: int | None = Field(default=None, strict=True, ge=1)
    applies_to: str = Field(min_length=1)
    exceptions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_unit(self) -> RetentionLimit:
        if self.days is not None and self.months is not None:
            raise ValueError("give the limit in days or in months, not both")
        return self

    @property
    def max_days(self) -> int | None:
        """The limit in days; a limit in months counts 31 days a month (never shorter than the law's)."""
        if self.months is not None:
            return self.months * 31
        return self.days

    @property
    def period(self) -> str:
        if self.days is not None:
            return f"{self.days} days"
        if self.months is not None:
            return f"{self.months} months"
        return "no number set by law (retention policy required)"


class Injunction(LawModel):
    """A court order that stops a provision from applying, over dates, to its scope."""

    court: str = Field(min_length=1)
    case: str = Field(min_length=1)
    enjoined_from: dt.date
    enjoined_to: dt.date | None = None
    """The first day it no longer applies (vacated, dissolved, expired); None while in effect."""
    scope: str = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates(self) -> Injunction:
        if self.enjoined_to is not None and self.enjoined_to <= self.enjoined_from:
            raise ValueError("enjoined_to must be after enjoined_from")
        return self

    def covers(self, day: dt.date) -> bool:
        return day >= self.enjoined_from and (self.enjoined_to is None or day < self.enjoined_to)

    @property
    def text(self) -> str:
        until = f" to {self.enjoined_to.isoformat()}" if self.enjoined_to else ""
        since = self.enjoined_from.isoformat()
        return f"enjoined by {self.court} in {self.case} from {since}{until} ({self.scope})"


OFFICIAL_HOST_SUFFIXES = (".gov", ".us", ".mil")
"""Hosts of official texts: federal and state governments, legislatures and courts (a code mirror,
a law firm or a bill tracker is a secondary source)."""


class Checked(LawModel):
    """What a provision was checked against: the operative words, where they stand, where read, when."""

    quote: str = Field(min_length=3, max_length=400)
    """A short quote of the operative words, as evidence (never a passage)."""
    pinpoint: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    checked_on: dt.date


class Provision(LawModel):
    """One provision of law, in force over a date range, binding some actors for some actions.

    effect:
      prohibited                 the actors may not take the actions, unless an exception is met
      required                   the actors must take the actions, unless an exception is met
      permitted                  the law expressly allows the actions
      permitted_with_conditions  the law allows the actions if every condition is met
    `saves: true` marks a savings clause (8 U.S.C. 1373/1644): within its scope, a state or local
    prohibition does not apply.
    `retention` carries a retention limit. A provision that only sets a retention limit lists no
    actions and has effect `required` (the duty to delete); it never enters a ruling.
    `authority` says what kind of text it is: an attorney-general opinion or guidance is shown in a
    ruling's trace but never decides it. `injunctions` are court orders that stop it applying over
    their dates (a ruling on a date inside one says so and cites the order).
    """

    id: str = Field(pattern=r"^[A-Z]{2}-[A-Za-z0-9.\-]+$")
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    citation: str = Field(min_length=1)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    effective_from_latest: dt.date | None = None
    """When only bounds of the start are known: effective_from is the earliest, this the latest day."""
    effective_to_latest: dt.date | None = None
    """When only bounds of the end are known: effective_to is the earliest, this the latest day."""
    status: Status
    status_since: dt.date | None = None
    actors: tuple[Actor, ...] = Field(min_length=1)
    actions: tuple[Action, ...] = ()
    effect: Effect
    contested: str | None = None
    """Why the provision's validity is disputed in court, in plain words (shown with every ruling it
    decides); its sources are among `sources`."""
    scope: Scope = Scope()
    exceptions: tuple[Condition, ...] = ()
    conditions: tuple[Condition, ...] = ()
    obligations: tuple[str, ...] = ()
    saves: bool = False
    savings_clauses: tuple[str, ...] = ()
    authority: Authority = Authority.STATUTE
    injunctions: tuple[Injunction, ...] = ()
    verification: Verification
    verification_note: str | None = None
    checked: Checked | None = None
    """The operative words as read, where and when; required for `official_text`, whose quote must
    come from an official source (for other levels the URL may be a mirror or a report)."""
    sources: tuple[Source, ...] = Field(min_length=1)
    retention: RetentionLimit | None = None

    @field_validator("effect")
    @classmethod
    def _no_no_provision(cls, v: Effect) -> Effect:
        if v in (Effect.NO_PROVISION, Effect.NOT_RESEARCHED, Effect.UNCERTAIN):
            raise ValueError(f"a provision cannot have effect {v.value!r}")
        return v

    @model_validator(mode="after")
    def _check_dates(self) -> Provision:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.effective_from_latest is not None and self.effective_from_latest <= self.effective_from:
            raise ValueError("effective_from_latest must be after effective_from (the earliest start)")
        if self.effective_to_latest is not None and (
            self.effective_to is None or self.effective_to_latest <= self.effective_to
        ):
            raise ValueError("effective_to_latest needs effective_to (the earliest possible end) before it")
        if self.status is Status.ENJOINED and self.status_since is None:
            raise ValueError("an enjoined provision needs status_since (the date of the injunction)")
        if self.status is Status.SUPERSEDED and self.effective_to is None:
            raise ValueError("a superseded provision needs effective_to")
        if self.verification is Verification.OFFICIAL_TEXT:
            if self.checked is None:
                raise ValueError(
                    "verification official_text needs `checked`: a quote of the operative words from an "
                    "official source, its pinpoint, the URL read and the date checked"
                )
            host = urlsplit(self.checked.url).hostname or ""
            if not host.endswith(OFFICIAL_HOST_SUFFIXES):
                raise ValueError(
                    f"verification official_text needs its quote read on an official site; {host!r} is not "
                    f"one (expected a host ending in {', '.join(OFFICIAL_HOST_SUFFIXES)}: use "
                    "secondary_source for a mirror)"
                )
        if self.saves and self.effect is not Effect.PERMITTED:
            raise ValueError("a savings clause (saves: true) must have effect 'permitted'")
        if self.conditions and self.effect is not Effect.PERMITTED_WITH_CONDITIONS:
            raise ValueError("only a permitted_with_conditions provision has conditions")
        if not self.actions:
            if self.retention is None:
                raise ValueError("a provision needs at least one action (or a retention block)")
            if self.effect is not Effect.REQUIRED:
                raise ValueError(
                    "a provision with no actions only sets a retention limit: its effect must be 'required'"
                )
        return self

    def date_doubtful(self, day: dt.date) -> bool:
        """True if `day` falls where only the bounds of the start or the end are known."""
        latest = self.effective_from_latest
        start = latest is not None and self.effective_from <= day < latest
        end = (
            self.effective_to is not None
            and self.effective_to_latest is not None
            and self.effective_to <= day < self.effective_to_latest
        )
        return start or end

    def in_force_on(self, day: dt.date) -> bool:
        """True if the provision is operative on `day` (dates and status both count; a day inside
        uncertain bounds counts as in force: `date_doubtful` says when that is so)."""
        if day < self.effective_from:
            return False
        end = self.effective_to_latest or self.effective_to
        if end is not None and day >= end:
            return False
        if self.status is Status.UNCONFIRMED:
            return False
        if any(i.covers(day) for i in self.injunctions):
            return False
        return not (
            self.status is Status.ENJOINED and self.status_since is not None and day >= self.status_since
        )
