"""Retention limits: how long the law lets an agency keep plate-reader (ALPR) data.

A provision carries a limit in its `retention` block (data kind, days, what it applies to, the
exceptions in plain words). `retention_days(jurisdiction, date)` returns the limit in force there
on that date, with the provision that sets it, its citation, sources and verification level, or
None when no coded provision sets one. The same date rules as rulings apply: a provision counts
from `effective_from`, stops at `effective_to` or an injunction, and an `unconfirmed` provision
never counts. Only the state's own provisions are read (no federal statute limits ALPR retention).

`days` is None when the state requires agencies to adopt a retention policy but sets no number;
the caller (the audit's look-back check) then has no statutory figure and needs one given by hand.
A limit the law states in months is reported as `period` ("9 months") and counted in `days` at 31
days a month, so a look-back check never flags a window the law allows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sharemap.kb.model import Source
from sharemap.law.engine import Law, _coerce, _coerce_date, _unknown_jurisdiction, default_law
from sharemap.law.model import Provision
from sharemap.law.vocab import JURISDICTIONS, RetainedData, Verification


@dataclass(frozen=True, slots=True)
class Retention:
    """The retention limit in force for one jurisdiction, data kind and date, and where it comes from."""

    jurisdiction: str
    data_kind: RetainedData
    date: dt.date
    days: int | None
    period: str
    provision_id: str
    citation: str
    title: str
    applies_to: str
    exceptions: tuple[str, ...]
    sources: tuple[Source, ...]
    verification: Verification
    verification_note: str | None
    effective_from: dt.date
    effective_to: dt.date | None

    @property
    def exceptions_text(self) -> str:
        """The exceptions as one line ('' when the law states none)."""
        return "; ".join(self.exceptions)

    @classmethod
    def of(cls, p: Provision, date: dt.date) -> Retention:
        r = p.retention
        assert r is not None
        return cls(
            jurisdiction=p.jurisdiction,
            data_kind=r.data,
            date=date,
            days=r.max_days,
            period=r.period,
            provision_id=p.id,
            citation=p.citation,
            title=p.title,
            applies_to=r.applies_to,
            exceptions=r.exceptions,
            sources=p.sources,
            verification=p.verification,
            verification_note=p.verification_note,
            effective_from=p.effective_from,
            effective_to=p.effective_to,
        )

    def explain(self) -> str:
        limit = self.period
        if self.days is not None and f"{self.days} days" != self.period:
            limit += f" (counted as {self.days} days)"
        lines = [
            f"{self.jurisdiction} on {self.date.isoformat()}: {self.data_kind.value} retention limit {limit}",
            f"Provision: {self.provision_id} [{self.citation}] {self.title}",
            f"Applies to: {self.applies_to}",
            f"Exceptions: {self.exceptions_text or 'none stated'}",
            f"Verification: {self.verification.value}"
            + (f" ({self.verification_note})" if self.verification_note else ""),
            "Sources:",
        ]
        for s in self.sources:
            when = s.date.isoformat() if s.date else "date not recorded"
            url = f" <{s.url}>" if s.url else ""
            lines.append(f"- {s.title}{url} ({when})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "data_kind": self.data_kind.value,
            "date": self.date.isoformat(),
            "days": self.days,
            "period": self.period,
            "provision": self.provision_id,
            "citation": self.citation,
            "title": self.title,
            "applies_to": self.applies_to,
            "exceptions": list(self.exceptions),
            "verification": self.verification.value,
            "verification_note": self.verification_note,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in self.sources],
        }


def _sort_key(p: Provision) -> tuple[int, int, str]:
    # a numeric limit before "policy only"; the strictest number first; then by id, for determinism
    r = p.retention
    assert r is not None
    return (r.max_days is None, r.max_days or 0, p.id)


def retention_days(
    jurisdiction: str,
    date: dt.date,
    data_kind: RetainedData | str = RetainedData.ALPR,
    *,
    law: Law | None = None,
) -> Retention | None:
    """The retention limit for `data_kind` in force in `jurisdiction` on `date`, or None.

    None means no coded provision sets a limit on that date (the law may still be silent rather
    than permissive). When several provisions in force set one, the strictest number wins; a
    provision that only requires a policy (days None) is returned only when none sets a number.
    Uses the shipped provisions unless `law` is given.
    """
    if jurisdiction not in JURISDICTIONS:
        _unknown_jurisdiction(jurisdiction)
    kind = data_kind if type(data_kind) is RetainedData else _coerce(RetainedData, data_kind, "data_kind")
    day = date if type(date) is dt.date else _coerce_date(date)
    found = [
        p
        for p in (law or default_law()).for_jurisdiction(jurisdiction)
        if p.retention is not None and p.retention.data is kind and p.in_force_on(day)
    ]
    if not found:
        return None
    return Retention.of(min(found, key=_sort_key), day)


def retention_provisions(
    data_kind: RetainedData | str = RetainedData.ALPR, *, law: Law | None = None
) -> tuple[Provision, ...]:
    """Every recorded provision with a retention block for `data_kind` (any status or date)."""
    kind = data_kind if type(data_kind) is RetainedData else _coerce(RetainedData, data_kind, "data_kind")
    return tuple(
        p for p in (law or default_law()).provisions if p.retention is not None and p.retention.data is kind
    )
