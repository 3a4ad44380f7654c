"""Dated sources keep a real, well-formed date, and a date kind in a note (`date: ...`) has a date.

The report shows a source's `date` with the kind its note names ("published: 2013-02-20"); a source with
only a year keeps `year`. These checks keep the register from gaining a malformed, future or
contradictory date (issue 15: dated references to primary sources).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sharemap.kb.load import load_kb

SOURCES = Path(__file__).parents[2] / "src" / "sharemap" / "kb" / "data" / "sources.yaml"
DATE_LINE = re.compile(r"^  date: (.*)$")
ISO_QUOTED = re.compile(r"^'(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])'$")


def test_every_date_in_the_register_is_a_quoted_iso_day() -> None:
    lines = [m.group(1) for m in map(DATE_LINE.match, SOURCES.read_text(encoding="utf-8").splitlines()) if m]
    assert len(lines) >= 80  # the register dates most of its sources
    bad = [value for value in lines if not ISO_QUOTED.match(value)]
    assert bad == []


def test_dates_are_past_and_agree_with_the_year() -> None:
    today = dt.date.today()
    for src in load_kb().sources.values():
        if src.date is not None:
            assert dt.date(1900, 1, 1) <= src.date <= today, src.id
            assert src.year is None or src.year == src.date.year, src.id


def test_a_date_kind_in_a_note_comes_with_a_date() -> None:
    for src in load_kb().sources.values():
        if (src.note or "").startswith("date: "):
            assert src.date is not None, src.id


@pytest.mark.parametrize(
    ("sid", "day"),
    [
        ("trac_310", dt.date(2013, 2, 20)),  # TRAC's announcement of report 310
        ("gt_dmv_fr", dt.date(2019, 7, 8)),  # Georgetown Law's news page dates the post
        ("eff_hotlist", dt.date(2026, 6, 25)),  # the EFF original of the repost
        ("tftc_hotlist", dt.date(2026, 6, 25)),  # printed on the TFTC page
    ],
)
def test_sources_dated_from_their_landing_pages(sid: str, day: dt.date) -> None:
    src = load_kb().sources[sid]
    assert src.date == day
    assert (src.note or "").startswith("date: published (")
