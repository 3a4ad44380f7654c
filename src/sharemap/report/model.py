"""The shape of a cited report: sections of blocks, every factual sentence with numbered citations.

A `Sentence` cannot be made without at least one citation number (see `Citations.sentence`). Notes
(`Note`) are the report's own remarks about method (for example "this table lists the first 50
rows"), shown in italics and never carrying facts about the world. Follow-up questions are questions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Reference:
    """A numbered source: title, address (URL, or a path inside the shipped data) and date."""

    n: int
    title: str
    url: str | None
    date: str | None
    kind: Literal["kb", "law", "ledger", "moa", "register", "sim", "simrun", "portal"]
    location: str | None = None  # page, pin cite or file inside the package
    date_kind: str | None = None
    """What the date is: 'published', 'enacted', 'archived', 'captured', 'signed', 'year in title'..."""

    @property
    def dated(self) -> str:
        """The date with what it is ("enacted: 1996-09-30"), or "undated"."""
        if not self.date:
            return "undated"
        return f"{self.date_kind}: {self.date}" if self.date_kind else self.date

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "date_kind": self.date_kind,
            "kind": self.kind,
            "location": self.location,
        }


@dataclass(frozen=True)
class Sentence:
    text: str
    cites: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.cites:
            raise ValueError(f"a factual sentence needs a citation: {self.text!r}")


@dataclass(frozen=True)
class Para:
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[Sentence, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    cites: tuple[tuple[int, ...], ...]  # one tuple of citations per row
    links: tuple[str | None, ...] = ()  # optional link per row (e.g. the MOA), shown on the first cell
    caption: str = ""


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart; `caption` is a cited sentence saying what the data is."""

    svg: str
    caption: Sentence
    alt: str
    images: tuple[
        str, ...
    ] = ()  # image files of the same figures (e.g. a simulation run's PNG), for Markdown


@dataclass(frozen=True)
class Diagram:
    """A trace drawn as rows of boxes (systems) and arrows (channels), with a cited caption."""

    paths: tuple[dict[str, Any], ...]
    caption: Sentence


Block = Para | Bullets | Table | Note | Chart | Diagram


@dataclass
class Section:
    """A titled part of the report; `appendix` sections hold the detail and come after the main body."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    appendix: bool = False


@dataclass
class Report:
    kind: Literal["county", "state", "agency", "nation"]
    key: str
    place: str
    date: dt.date
    title: str
    sections: list[Section]
    references: list[Reference]
    followups: list[str]
    generated: str

    def sentences(self) -> list[Sentence]:
        out: list[Sentence] = []
        for s in self.sections:
            for b in s.blocks:
                if isinstance(b, Para):
                    out.extend(b.sentences)
                elif isinstance(b, Bullets):
                    out.extend(b.items)
                elif isinstance(b, Chart | Diagram):
                    out.append(b.caption)
        return out

    def to_dict(self) -> dict[str, Any]:
        def block(b: Block) -> dict[str, Any]:
            if isinstance(b, Para):
                return {"type": "paragraph", "sentences": [_s(x) for x in b.sentences]}
            if isinstance(b, Bullets):
                return {"type": "list", "items": [_s(x) for x in b.items]}
            if isinstance(b, Table):
                return {
                    "type": "table",
                    "caption": b.caption,
                    "columns": list(b.columns),
                    "rows": [
                        {"cells": list(r), "cites": list(c), "link": (b.links[i] if b.links else None)}
                        for i, (r, c) in enumerate(zip(b.rows, b.cites, strict=True))
                    ],
                }
            if isinstance(b, Note):
                return {"type": "note", "text": b.text}
            if isinstance(b, Chart):
                return {"type": "chart", "caption": _s(b.caption), "alt": b.alt, "images": list(b.images)}
            return {"type": "diagram", "caption": _s(b.caption), "paths": list(b.paths)}

        return {
            "kind": self.kind,
            "key": self.key,
            "place": self.place,
            "date": self.date.isoformat(),
            "title": self.title,
            "generated": self.generated,
            "sections": [
                {"id": s.id, "title": s.title, "appendix": s.appendix, "blocks": [block(b) for b in s.blocks]}
                for s in self.sections
            ],
            "references": [r.to_dict() for r in self.references],
            "followups": self.followups,
        }


def _s(x: Sentence) -> dict[str, Any]:
    return {"text": x.text, "cites": list(x.cites)}
