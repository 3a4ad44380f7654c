"""The schema of a provision file: what one dated, cited rule of law says."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from sharemap.kb.model import Frozen, Source
from sharemap.law.vocab import (
    Action,
    Actor,
    ConditionKind,
    DataKind,
    Effect,
    LegalProcess,
    Purpose,
    Recipient,
    Status,
    Verification,
)

_VALUE_TYPES: dict[ConditionKind, type] = {
    ConditionKind.LEGAL_PROCESS: LegalProcess,
    ConditionKind.PURPOSE: Purpose,
    ConditionKind.RECIPIENT: Recipient,
    ConditionKind.DATA: DataKind,
}


class Condition(Frozen):
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


class Scope(Frozen):
    """Limits a provision to requests with these purposes, recipients or data kinds (empty = any)."""

    purpose: tuple[Purpose, ...] = ()
    recipient: tuple[Recipient, ...] = ()
    data: tuple[DataKind, ...] = ()


class Provision(Frozen):
    """One provision of law, in force over a date range, binding some actors for some actions.

    effect:
      prohibited                 the actors may not take the actions, unless an exception is met
      required                   the actors must take the actions, unless an exception is met
      permitted                  the law expressly allows the actions
      permitted_with_conditions  the law allows the actions if every condition is met
    `saves: true` marks a savings clause (8 U.S.C. 1373/1644): within its scope, a state or local
    prohibition does not apply.
    """

    id: str = Field(pattern=r"^[A-Z]{2}-[A-Za-z0-9.\-]+$")
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    citation: str = Field(min_length=1)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    status: Status
    status_since: dt.date | None = None
    actors: tuple[Actor, ...] = Field(min_length=1)
    actions: tuple[Action, ...] = Field(min_length=1)
    effect: Effect
    scope: Scope = Scope()
    exceptions: tuple[Condition, ...] = ()
    conditions: tuple[Condition, ...] = ()
    obligations: tuple[str, ...] = ()
    saves: bool = False
    savings_clauses: tuple[str, ...] = ()
    verification: Verification
    verification_note: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @field_validator("effect")
    @classmethod
    def _no_no_provision(cls, v: Effect) -> Effect:
        if v is Effect.NO_PROVISION:
            raise ValueError("a provision cannot have effect 'no_provision'")
        return v

    @model_validator(mode="after")
    def _check_dates(self) -> Provision:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.status is Status.ENJOINED and self.status_since is None:
            raise ValueError("an enjoined provision needs status_since (the date of the injunction)")
        if self.status is Status.SUPERSEDED and self.effective_to is None:
            raise ValueError("a superseded provision needs effective_to")
        if self.saves and self.effect is not Effect.PERMITTED:
            raise ValueError("a savings clause (saves: true) must have effect 'permitted'")
        if self.conditions and self.effect is not Effect.PERMITTED_WITH_CONDITIONS:
            raise ValueError("only a permitted_with_conditions provision has conditions")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        """True if the provision is operative on `day` (dates and status both count)."""
        if day < self.effective_from:
            return False
        if self.effective_to is not None and day >= self.effective_to:
            return False
        if self.status is Status.UNCONFIRMED:
            return False
        return not (
            self.status is Status.ENJOINED and self.status_since is not None and day >= self.status_since
        )
