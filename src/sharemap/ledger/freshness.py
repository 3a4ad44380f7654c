"""How old the ICE list behind a count is, and what ICE published after the newest list held.

Every count the ledger prints comes from one of ICE's lists. A reader needs to know which list, how
old it is on the date asked, whether the question is later than the newest list held (then ICE's own
published count of a later list is given, when one is known), and whether it is earlier than the
first list held (then "before this ledger's coverage", never 0).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from sharemap import settings
from sharemap.errors import InputError
from sharemap.kb.model import Frozen, Model287g

PUBLISHED_FILE = settings.DATA_DIR / "ledger" / "published_counts.csv"
PUBLISHED_SOURCE = {
    "source_id": "ice-287g-published-counts",
    "title": "Agreements per state and support type on ICE's participating-agencies lists of 2026-06-09 "
    "to 2026-10-09, as counted from each sheet by appelson/Tracking_287g",
    "url": "https://github.com/appelson/Tracking_287g",
    "date": "2026-10-09",
    "publisher": "U.S. Immigration and Customs Enforcement (counts by a public tracker)",
    "note": "README tables of appelson/Tracking_287g at six commits; see data/ledger/PROVENANCE.md",
}
_COLUMNS = {
    "list_date": pa.date32(),
    "reported_on": pa.date32(),
    "source_sheet": pa.string(),
    "state": pa.string(),
    "state_as_listed": pa.string(),
    "TFM": pa.int32(),
    "WSO": pa.int32(),
    "JEM": pa.int32(),
    "total": pa.int32(),
}


def read_published(path: Path | None = None) -> pa.Table:
    """The shipped published counts; a clear error names the file and what was expected."""
    path = path or PUBLISHED_FILE
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=_COLUMNS))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"published counts unreadable: {exc}", file=path, expected=", ".join(_COLUMNS)
        ) from exc
    missing = set(_COLUMNS) - set(table.column_names)
    if missing:
        raise InputError(f"published counts lack columns {sorted(missing)}", file=path)
    for i, row in enumerate(table.to_pylist(), start=2):
        if row["TFM"] + row["WSO"] + row["JEM"] != row["total"]:
            raise InputError("models do not add up to the total", file=path, row=i, field="total")
    return table.select(list(_COLUMNS))


class PublishedCount(Frozen):
    """ICE's count of one later list (nationally or for one state); not rows the ledger holds."""

    list_date: dt.date
    reported_on: dt.date
    source_sheet: str
    state: str | None
    by_model: dict[str, int]
    total: int
    source_title: str = PUBLISHED_SOURCE["title"]
    source_url: str = PUBLISHED_SOURCE["url"]

    @property
    def sentence(self) -> str:
        models = ", ".join(f"{m} {self.by_model[m]:,}" for m in ("TFM", "WSO", "JEM"))
        where = f" in {self.state}" if self.state else ""
        return f"ICE's list of {self.list_date} reported {self.total:,} agreements{where} ({models})"


class Freshness(Frozen):
    """Which ICE list a figure for `asked` comes from, its age, and what ICE published later."""

    asked: dt.date
    first_list: dt.date | None
    newest_list: dt.date | None
    list_date: dt.date | None
    age_days: int | None
    before_coverage: bool
    after_newest: bool
    published: PublishedCount | None = None

    @property
    def note(self) -> str:
        if self.list_date is None:
            if self.first_list is None:
                return "no ICE list is held"
            first = self.first_list
            return f"{self.asked} is before this ledger's coverage: the first ICE list held is of {first}"
        if self.age_days == 0:
            return f"ICE list of {self.list_date}, the date asked"
        unit = "day" if self.age_days == 1 else "days"
        return f"ICE list of {self.list_date}, {self.age_days:,} {unit} before {self.asked}"

    @property
    def warning(self) -> str | None:
        if not self.after_newest:
            return None
        held = f"the rows held stop at ICE's list of {self.newest_list}"
        if self.published is not None:
            return f"{self.published.sentence}; {held}."
        return f"{self.asked} is after the newest ICE list held: {held}, so later changes are not shown."

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the CLI, the API and reports."""
        return {
            "asked": self.asked,
            "list_date": self.list_date,
            "list_age_days": self.age_days,
            "first_list": self.first_list,
            "newest_list": self.newest_list,
            "before_coverage": self.before_coverage,
            "after_newest_list": self.after_newest,
            "latest_published": self.published.model_dump() if self.published else None,
            "note": self.note,
            "warning": self.warning,
        }


def freshness(
    con: duckdb.DuckDBPyConnection, asked: dt.date | None = None, state: str | None = None
) -> Freshness:
    """The list behind figures for `asked` (default today), nationally or for one state.

    A byte-identical republication counts as a list of its own date: ICE said the same that day.
    """
    asked = asked or dt.date.today()
    first, newest, used = con.execute(
        "SELECT min(captured)::DATE, max(captured)::DATE, "
        "CAST(max(captured) FILTER (WHERE captured::DATE <= ?) AS DATE) FROM snapshots "
        "WHERE kind = 'participating' AND NOT partial",
        [asked],
    ).fetchone() or (None, None, None)
    after = newest is not None and asked > newest
    return Freshness(
        asked=asked,
        first_list=first,
        newest_list=newest,
        list_date=used,
        age_days=(asked - used).days if used else None,
        before_coverage=first is not None and asked < first,
        after_newest=after,
        published=_published(con, newest, asked, state) if after and newest else None,
    )


def _published(
    con: duckdb.DuckDBPyConnection, newest: dt.date, asked: dt.date, state: str | None
) -> PublishedCount | None:
    """ICE's newest published count after the newest list held and on or before the date asked."""
    has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'published_counts'")
    if not (has.fetchone() or (0,))[0]:
        return None
    row = con.execute(
        "SELECT max(list_date) FROM published_counts WHERE list_date > ? AND list_date <= ?", [newest, asked]
    ).fetchone()
    if not row or row[0] is None:
        return None
    day = row[0]
    sums = con.execute(
        "SELECT coalesce(sum(TFM), 0), coalesce(sum(WSO), 0), coalesce(sum(JEM), 0), "
        "coalesce(sum(total), 0) FROM published_counts "
        "WHERE list_date = ? AND (? IS NULL OR state = ?)",
        [day, state, state],
    ).fetchone()
    meta = con.execute(
        "SELECT any_value(reported_on), any_value(source_sheet) FROM published_counts WHERE list_date = ?",
        [day],
    ).fetchone()
    assert sums is not None and meta is not None
    by_model = {m.short: int(sums[i]) for i, m in enumerate((Model287g.TFM, Model287g.WSO, Model287g.JEM))}
    return PublishedCount(
        list_date=day,
        reported_on=meta[0],
        source_sheet=meta[1],
        state=state,
        by_model=by_model,
        total=int(sums[3]),
    )
