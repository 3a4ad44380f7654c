"""What changed in the law between two dates: provisions that took effect, ended, were enjoined or
were freed of an injunction, per jurisdiction, each with its citation and the provision's sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sharemap.errors import InputError
from sharemap.law.engine import Law, default_law
from sharemap.law.model import Provision
from sharemap.law.vocab import Status

KINDS = ("took_effect", "ended", "enjoined", "injunction_lifted")


@dataclass(frozen=True)
class LawChange:
    date: dt.date
    kind: str
    provision: Provision
    detail: str

    def to_dict(self) -> dict[str, object]:
        p = self.provision
        return {
            "date": self.date.isoformat(),
            "kind": self.kind,
            "jurisdiction": p.jurisdiction,
            "provision": p.id,
            "citation": p.citation,
            "title": p.title,
            "effect": p.effect.value,
            "detail": self.detail,
            "verification": p.verification.value,
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in p.sources],
        }


def law_changes(
    start: dt.date, end: dt.date, jurisdiction: str | None = None, law: Law | None = None
) -> list[LawChange]:
    """Every dated change of a provision's force within [start, end], oldest first.

    Provisions recorded as unconfirmed are left out (their dates are not established).
    """
    if end < start:
        raise InputError(f"--to {end} is before --from {start}", field="to", expected="a later date")
    law = law or default_law()
    out: list[LawChange] = []

    def add(day: dt.date | None, kind: str, p: Provision, detail: str) -> None:
        if day is not None and start <= day <= end:
            out.append(LawChange(day, kind, p, detail))

    for p in law.provisions:
        if p.status is Status.UNCONFIRMED or (jurisdiction and p.jurisdiction != jurisdiction):
            continue
        add(p.effective_from, "took_effect", p, f"{p.effect.value.replace('_', ' ')}: {p.title}")
        add(p.effective_to, "ended", p, f"{p.status.value.replace('_', ' ')}: no longer applies")
        if p.status is Status.ENJOINED:
            add(p.status_since, "enjoined", p, "blocked by a court (status enjoined)")
        for i in p.injunctions:
            add(i.enjoined_from, "enjoined", p, i.text)
            add(i.enjoined_to, "injunction_lifted", p, f"applies again: {i.text}")
    return sorted(out, key=lambda c: (c.date, c.provision.jurisdiction, KINDS.index(c.kind), c.provision.id))
