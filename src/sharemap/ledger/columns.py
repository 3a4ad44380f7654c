"""The columns of ICE's 287(g) lists, declared once: the headers ICE has used, the name a message shows,
whether a row can be read without the column, and the `ListRow` field it fills.

The reader (`lists`), the snapshot tables (`snapshots.ROW_SCHEMA`) and the history's "latest row"
(`history`) are all derived from `COLUMNS` and `ListRow`, so a new column of plain text takes one
entry in COLUMNS and one field in ListRow (this file alone); a column that needs its own parsing
(a date, a link) also gets a line in `lists._parse_row`. See docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from sharemap.kb.model import Model287g

Parse = Literal["text", "own"]


@dataclass(frozen=True)
class IceColumn:
    key: str  # the reader's name for the column
    label: str  # ICE's usual header, as messages name the column
    headers: tuple[str, ...]  # every header spelling ICE has used for it (upper case)
    required: bool = False  # a row whose cell is unreadable is skipped, not kept with a gap
    parse: Parse = "own"  # "text": the cell's text, whitespace tidied, goes into `field` as is
    field: str | None = None  # the ListRow field a "text" column fills


COLUMNS: tuple[IceColumn, ...] = (
    IceColumn("state", "STATE", ("STATE",), required=True),
    IceColumn("agency", "LAW ENFORCEMENT AGENCY", ("LAW ENFORCEMENT AGENCY", "AGENCY"), required=True),
    IceColumn("type", "TYPE", ("TYPE",), parse="text", field="ice_type"),
    IceColumn("county", "COUNTY", ("COUNTY",), parse="text", field="county"),
    IceColumn("support_type", "SUPPORT TYPE", ("SUPPORT TYPE", "MODEL"), required=True),
    IceColumn("signed", "SIGNED", ("SIGNED", "DATE SIGNED"), required=True),
    IceColumn("moa", "MOA", ("MOA",)),
    IceColumn("addendum", "ADDENDUM", ("ADDENDUM",)),
)

HEADERS = {h: c.key for c in COLUMNS for h in c.headers}
"""Header spelling -> column key."""
LABELS = {c.key: c.label for c in COLUMNS}
REQUIRED = frozenset(c.key for c in COLUMNS if c.required)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c.parse == "text")


@dataclass(frozen=True)
class ListRow:
    """One agreement (or pending request) row as ICE listed it, cleaned but not interpreted."""

    row: int
    state: str
    state_raw: str
    agency: str
    ice_type: str | None
    county: str | None
    model: Model287g | None
    signed: dt.date | None
    moa_url: str | None
    moa_text: str | None
    addendum_url: str | None


_ARROW = {int: pa.int32(), str: pa.string(), dt.date: pa.date32(), Model287g: pa.string()}


def row_fields() -> list[tuple[str, pa.DataType]]:
    """ListRow's fields with their Arrow types (a model is stored by its value)."""
    hints = typing.get_type_hints(ListRow)
    out = []
    for f in dataclasses.fields(ListRow):
        base = next(t for t in typing.get_args(hints[f.name]) or (hints[f.name],) if t is not type(None))
        out.append((f.name, _ARROW[base]))
    return out


def latest_row_sql() -> str:
    """A DuckDB struct of one row's ListRow fields, for `arg_max(..., captured)` in the history."""
    return "{" + ", ".join(f"'{name}': \"{name}\"" for name, _ in row_fields()) + "}"
