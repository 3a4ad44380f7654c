"""A report is a briefing: the answer on page 1, a short main body, the detail in appendices, charts that
agree with their tables, and dated references to official texts rather than transcriptions (issue 15)."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from urllib.parse import urlsplit

import duckdb
import pytest

from sharemap.kb.model import Source
from sharemap.law.engine import default_law
from sharemap.report import build_report, resolve, to_html, to_markdown
from sharemap.report.build import APPENDICES, SECTION_TITLES
from sharemap.report.cite import dating
from sharemap.report.model import Chart, Reference, Report, Table
from sharemap.report.pdf import pdf_available, to_pdf

DAY = dt.date(2026, 11, 24)
MAIN_BODY = [key for key in SECTION_TITLES if key not in APPENDICES]
STATUTE = re.compile(r"U\.S\.C\.|C\.F\.R\.|\bCFR\b|\bStat\.|Pub\. L\.|Statutes at Large")
WIKI_HOSTS = ("wikisource.org", "wikipedia.org")
UNDATED_AT_MOST = 36
"""Undated references in Harris County's report on the test ledger: 61 before issue 15's fixes (the
federal statutes cited to Wikisource, no dates for web-archive copies, years in titles or the span
of ICE's lists), 36 after; what is left are knowledge-base sources that give no date at all."""


@pytest.fixture(scope="module")
def harris(ledger_db: object) -> Report:
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        return build_report(con, resolve(con, county="Harris County, TX"), DAY)
    finally:
        con.close()


@pytest.fixture(scope="module")
def others(ledger_db: object) -> list[Report]:
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        return [
            build_report(con, resolve(con, state="MD"), DAY),
            build_report(con, resolve(con, nation=True), DAY),
        ]
    finally:
        con.close()


def test_the_briefing_comes_first_and_the_appendices_last(harris: Report) -> None:
    ids = [s.id for s in harris.sections]
    assert ids[0] == "briefing"
    flags = [s.appendix for s in harris.sections]
    first = flags.index(True)
    assert not any(flags[:first]) and all(flags[first:]), ids  # the main body ends before the appendices
    assert {s.id for s in harris.sections[:first]} <= set(MAIN_BODY)
    assert {"appendix_paths", "appendix_provisions", "appendix_elements", "appendix_register"} <= set(ids)
    titles = [s.title for s in harris.sections[first:]]
    assert titles == [
        f"Appendix {'ABCDEFGHIJ'[i]}: {SECTION_TITLES[s.id]}" for i, s in enumerate(harris.sections[first:])
    ]
    md = to_markdown(harris)
    assert md.index("## Practical takeaways") < md.index("## Appendix A: ") < md.index("## References")
    # the detail moved: every path's sentence and the provisions are in the appendices, not the main body
    main = md[: md.index("## Appendix A: ")]
    assert "Federal provisions in force on 2026-11-24" not in main
    assert "Federal provisions in force on 2026-11-24" in md[md.index("## Appendix B: ") :]
    assert "appendix 'Every path, with the data it carries and its sources'" in main


def test_sections_that_do_not_apply_are_left_out(harris: Report, others: list[Report]) -> None:
    md = to_markdown(harris)
    perspectives = md[md.index("## Competing perspectives") : md.index("## What the sources do not say")]
    # Harris County's agreements are all Task Force ones: the jail model's purposes and risks do not apply
    assert "FBI NGI to DHS IDENT (interoperability) — Stated purpose" in perspectives
    assert "(JEM) —" not in perspectives and "(channel not on this place's paths)" not in md
    assert "(channel not on this place's paths)" in to_markdown(others[1])  # the nation lists every channel
    assert "not disclosed (not disclosed)" not in md


def test_the_chart_agrees_with_the_table(harris: Report) -> None:
    chart = next(b for s in harris.sections if s.id == "elements" for b in s.blocks if isinstance(b, Chart))
    table = next(
        b for s in harris.sections if s.id == "appendix_elements" for b in s.blocks if isinstance(b, Table)
    )
    bars = [(unescape(k), int(v)) for k, v in re.findall(r"<title>([^<]+): (\d+)</title></rect>", chart.svg)]
    assert bars and bars == [(row[0], int(row[1])) for row in table.rows[: len(bars)]]


def test_no_statute_is_cited_to_a_wiki(harris: Report, others: list[Report]) -> None:
    for report in (harris, *others):
        for ref in report.references:
            host = urlsplit(ref.url or "").hostname or ""
            assert not (STATUTE.search(ref.title) and host.endswith(WIKI_HOSTS)), ref
    for p in default_law().for_jurisdiction("US"):
        for s in p.sources:
            assert not (urlsplit(str(s.url)).hostname or "").endswith(WIKI_HOSTS), (p.id, s.url)
    cited = {r.url for r in harris.references if r.kind == "law" and r.title.startswith("8 U.S.C. 1357(g)")}
    assert cited == {
        "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title8-section1357&num=0&edition=prelim"
    }


def test_references_are_dated_and_say_what_the_date_is(harris: Report) -> None:
    undated = [r for r in harris.references if not r.date]
    assert len(undated) <= UNDATED_AT_MOST, [r.title for r in undated]
    assert all(r.date_kind for r in harris.references if r.date)
    statute = next(r for r in harris.references if r.title.startswith("8 U.S.C. 1373(a)-(b)"))
    assert (statute.date, statute.date_kind, statute.dated) == (
        "1996-09-30",
        "enacted",
        "enacted: 1996-09-30",
    )
    html = to_html(harris)
    assert '<span class="ref-date">enacted: 1996-09-30</span>' in html
    assert "captured: " in html and "undated" in html  # the register of what was not found has no date


def test_dating_reads_notes_archives_and_titles() -> None:
    law = Source(
        title="x",
        url="https://uscode.house.gov/x",
        date=dt.date(1996, 9, 30),
        note="date: enacted (P.L.)",
    )
    archived = Source(
        title="ICE fact sheet (archived)",
        url="https://webarchive.library.unt.edu/eot2008/20080916075633/http:/www.ice.gov/pi/lesc.htm",
    )
    assert dating(law) == ("1996-09-30", "enacted")
    assert dating(Source(title="x", date=dt.date(2019, 3, 13))) == ("2019-03-13", "published")
    assert dating(archived) == ("2008-09-16", "archived")
    assert dating(Source(title="Texas SB 8 (2025), status")) == ("2025", "date in title")
    assert dating(Source(title="a page"), "Tex. Gov't Code ch. 753 (SB 8, 89th Leg., 2025)") == (
        "2025",
        "date in citation",
    )
    assert dating(Source(title="a page")) == (None, None)
    assert Reference(1, "t", None, None, "register", "x").dated == "undated"


@pytest.mark.skipif(not pdf_available()[0], reason="WeasyPrint or Pango missing")
def test_the_pdf_opens_with_the_briefing_and_ends_with_appendices(harris: Report) -> None:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(to_pdf(harris))) as pdf:
        pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in pdf.pages]
    assert "Briefing" in pages[0] and "What is not known:" in pages[0]
    assert "Executive summary" not in pages[0]  # the briefing fits on page 1 and the body starts on page 2
    assert pages[1].startswith("Executive summary")

    def page_of(text: str) -> int:
        return next(i for i, p in enumerate(pages) if text in p)

    takeaways, appendix, refs = (
        page_of("Practical takeaways"),
        page_of("Appendix A: "),
        page_of("References 1."),
    )
    assert takeaways < appendix < refs
    assert appendix <= 10, f"the main body should be a few pages, not {appendix - 1}"
