"""State overview and state x action matrix, derived from the provisions (never typed separately)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sharemap.law.coverage import Coverage
from sharemap.law.engine import Context, Law, Ruling, default_law
from sharemap.law.vocab import (
    DEFAULT_ACTOR,
    JURISDICTIONS,
    Action,
    Actor,
    Effect,
    Status,
    Verification,
    weakest,
)

STATES: tuple[str, ...] = tuple(j for j in JURISDICTIONS if j != "US")


@dataclass(frozen=True)
class Cell:
    jurisdiction: str
    action: Action
    actor: Actor
    ruling: Ruling

    @property
    def state_decided(self) -> bool:
        """True if a provision of the state itself (not only the federal layer) decided the cell."""
        return any(p.jurisdiction == self.jurisdiction for p in self.ruling.provisions)


def matrix(
    actions: Sequence[Action] | None = None,
    date: dt.date | None = None,
    jurisdictions: Iterable[str] = STATES,
    actor: Actor | None = None,
    context: Context | None = None,
    law: Law | None = None,
) -> list[Cell]:
    """Rule every (jurisdiction, action); the actor is `actor` or the action's usual actor."""
    law = law or default_law()
    day = date or dt.date.today()
    out: list[Cell] = []
    for j in jurisdictions:
        for action in actions or list(Action):
            who = actor or DEFAULT_ACTOR[action]
            out.append(Cell(j, action, who, law.rule(j, who, action, day, context)))
    return out


@dataclass(frozen=True)
class Overview:
    """A state's stance on a date, derived from the rulings its own provisions decide."""

    jurisdiction: str
    date: dt.date
    stance: str  # limits | requires | mixed | no state provision
    prohibited: tuple[Action, ...]
    required: tuple[Action, ...]
    conditional: tuple[Action, ...]
    provisions_in_force: int
    provisions_recorded: int
    weakest_verification: Verification | None
    cells: tuple[Cell, ...] = field(default=(), repr=False)
    coverage: Coverage | None = None
    """When and how far the jurisdiction's law was researched (None: not researched at all)."""

    @property
    def line(self) -> str:
        parts = []
        from sharemap.law.labels import action_label  # words, not action ids (issue 15)

        if self.prohibited:
            parts.append("prohibits: " + "; ".join(map(action_label, self.prohibited)))
        if self.required:
            parts.append("requires: " + "; ".join(map(action_label, self.required)))
        if self.conditional:
            parts.append("sets conditions on: " + "; ".join(map(action_label, self.conditional)))
        body = "; ".join(parts) if parts else "no state provision decides any action"
        weakest = self.weakest_verification
        verif = f"; weakest verification: {weakest.value.replace('_', ' ')}" if weakest else ""
        return (
            f"{self.jurisdiction} on {self.date.isoformat()}: {self.stance}: {body} "
            f"({self.provisions_in_force} of {self.provisions_recorded} state provisions in force{verif})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "date": self.date.isoformat(),
            "stance": self.stance,
            "line": self.line,
            "prohibited": [a.value for a in self.prohibited],
            "required": [a.value for a in self.required],
            "conditional": [a.value for a in self.conditional],
            "provisions_in_force": self.provisions_in_force,
            "provisions_recorded": self.provisions_recorded,
            "weakest_verification": self.weakest_verification.value if self.weakest_verification else None,
            "coverage": (
                {
                    "researched_on": self.coverage.researched_on.isoformat(),
                    "note": self.coverage.note,
                    "topics": {t.value: ok for t, ok in self.coverage.topics.items()},
                    "line": self.coverage.line,
                }
                if self.coverage
                else {"researched_on": None, "note": "not researched", "topics": {}, "line": "not researched"}
            ),
            "actions": [
                {
                    "action": c.action.value,
                    "actor": c.actor.value,
                    "effect": c.ruling.effect.value,
                    "provisions": list(c.ruling.provision_ids),
                    "state_decided": c.state_decided,
                }
                for c in self.cells
            ],
        }


def overview(jurisdiction: str, date: dt.date | None = None, law: Law | None = None) -> Overview:
    """Stance of one state: limits (state law prohibits or conditions cooperation), requires (state
    law requires cooperation or bans limiting it), mixed (both), or no state provision."""
    law = law or default_law()
    day = date or dt.date.today()
    cells = []
    for action in Action:
        # the action's usual actor first; if the state's own law does not bind it, any actor it binds
        actors = [DEFAULT_ACTOR[action], *(a for a in Actor if a is not DEFAULT_ACTOR[action])]
        first = None
        for who in actors:
            cell = Cell(jurisdiction, action, who, law.rule(jurisdiction, who, action, day))
            first = first or cell
            if cell.state_decided:
                first = cell
                break
        assert first is not None
        cells.append(first)
    prohibited: list[Action] = []
    required: list[Action] = []
    conditional: list[Action] = []
    limits = requires = False
    for c in cells:
        if not c.state_decided:
            continue
        effect = c.ruling.effect
        if effect is Effect.PROHIBITED:
            prohibited.append(c.action)
            if c.action is Action.ADOPT_LIMITING_POLICY:
                requires = True
            else:
                limits = True
        elif effect is Effect.REQUIRED:
            required.append(c.action)
            requires = True
        elif effect is Effect.PERMITTED_WITH_CONDITIONS and any(
            p.jurisdiction == jurisdiction and p.effect is not Effect.REQUIRED for p in c.ruling.provisions
        ):  # a state condition; a state duty to hold any 287(g) model, met by this one, is no limit
            conditional.append(c.action)
            limits = True
    stance = {
        (True, True): "mixed",
        (True, False): "limits",
        (False, True): "requires",
        (False, False): "no state provision",
    }[(limits, requires)]
    own = law.for_jurisdiction(jurisdiction)
    in_force = [p for p in own if p.status is not Status.UNCONFIRMED and p.in_force_on(day)]
    return Overview(
        jurisdiction=jurisdiction,
        date=day,
        stance=stance,
        prohibited=tuple(prohibited),
        required=tuple(required),
        conditional=tuple(conditional),
        provisions_in_force=len(in_force),
        provisions_recorded=len(own),
        weakest_verification=weakest(p.verification for p in in_force),
        cells=tuple(cells),
        coverage=law.coverage.get(jurisdiction),
    )
