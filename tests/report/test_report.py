"""Cited reports: every factual sentence carries citations, and every citation resolves to a source."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from sharemap.errors import NotFoundError, SharemapError
from sharemap.report import build_report, resolve, to_html, to_markdown
from sharemap.report.build import SECTION_TITLES, in_force, iter_cites, quarterly
from sharemap.report.model import Report, Sentence

DAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def reports(ledger_db: object) -> dict[str, Report]:
    con = duckdb.connect(str(ledger_db), read_only=True)
    try:
        return {
            "county": build_report(con, resolve(con, county="Harris County, TX"), DAY),
            "state": build_report(con, resolve(con, state="MD"), DAY),
            "nation": build_report(con, resolve(con, nation=True), DAY),
            "agency": build_report(
                con, resolve(con, agency="Canadian County Sheriff's Office", state="OK"), DAY
            ),
        }
    finally:
        con.close()


@pytest.mark.parametrize("kind", ["county", "state", "nation", "agency"])
def test_every_citation_resolves(reports: dict[str, Report], kind: str) -> None:
    r = reports[kind]
    numbers = {ref.n for ref in r.references}
    assert numbers == set(range(1, len(r.references) + 1))
    used = set(iter_cites(r))
    assert used and used <= numbers
    for ref in r.references:
        assert ref.title.strip()
        assert ref.url or ref.location, ref
        if ref.url:
            assert ref.url.startswith(("http://", "https://"))


@pytest.mark.parametrize("kind", ["county", "state", "nation", "agency"])
def test_every_sentence_is_cited(reports: dict[str, Report], kind: str) -> None:
    sentences = reports[kind].sentences()
    assert len(sentences) > 10
    assert all(s.cites for s in sentences)


def test_sentence_without_citation_is_refused() -> None:
    with pytest.raises(ValueError, match="citation"):
        Sentence("ICE receives fingerprints.", ())


def test_sections_in_the_issue_order(reports: dict[str, Report]) -> None:
    order = list(SECTION_TITLES)
    got = [s.id for s in reports["county"].sections]
    assert got == [k for k in order if k in got]
    assert {"summary", "legal", "backbone", "elements", "perspectives", "unknowns", "takeaways"} <= set(got)


def test_county_report_content(reports: dict[str, Report]) -> None:
    md = to_markdown(reports["county"])
    assert md.startswith("# How local law enforcement and ICE share identity information: Harris County, TX")
    # every [n] link in the text has its anchor in the references
    links = {int(n) for n in re.findall(r"\]\(#ref-(\d+)\)", md)}
    anchors = {int(n) for n in re.findall(r'<a id="ref-(\d+)"></a>', md)}
    assert links and links <= anchors
    assert "Texas" in md and "Task Force Model" in md
    assert "Stated purpose" in md and "Documented risk" in md
    assert "## What the sources do not say" in md
    assert "## Follow-up questions" in md


def test_html_escapes_and_links(reports: dict[str, Report]) -> None:
    html = to_html(reports["state"])
    hrefs = set(re.findall(r'href="#ref-(\d+)"', html))
    ids = set(re.findall(r'id="ref-(\d+)"', html))
    assert hrefs and hrefs <= ids
    assert "<script" not in html
    assert "<svg" in html  # growth chart


def test_state_report_cites_state_law(reports: dict[str, Report]) -> None:
    refs = [r for r in reports["state"].references if r.kind == "law"]
    assert refs, "Maryland's provisions should be cited"
    md = to_markdown(reports["state"])
    assert "What MD's law answers on 2026-11-24, by question:" in md
    assert "No. On 2026-11-24, the sheriff or county jail in Maryland may not hold a 287(g)" in md


def test_dates_change_the_answer(ledger: duckdb.DuckDBPyConnection) -> None:
    t = resolve(ledger, state="TX")
    early, snap_early = in_force(ledger, t, dt.date(2022, 1, 1))
    late, snap_late = in_force(ledger, t, DAY)
    assert snap_early and snap_late and snap_early[1] < snap_late[1]
    assert len(late) > len(early)
    labels, series, _ = quarterly(ledger, t)
    assert labels[0] == "2021Q1" and sum(series["TFM"]) > 0


def test_unknown_place(ledger: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SharemapError):
        resolve(ledger, county="Nowhere County, ZZ")
    with pytest.raises(NotFoundError):
        resolve(ledger, county="Nowhere County, TX")


def test_county_report_shows_plate_reader_sharing_in_practice(ledger: duckdb.DuckDBPyConnection) -> None:
    report = build_report(ledger, resolve(ledger, county="San Diego County, CA"), dt.date(2026, 4, 30))
    md = to_markdown(report)
    assert "Plate-reader sharing in practice (the agencies' own transparency portals):" in md
    assert "El Cajon PD (CA)'s portal of 2026-04-22 lists 359 out-of-state organisations among the 683" in md
    portals = [r for r in report.references if r.kind == "portal"]
    assert portals and all(r.url and "none-below/sm-alpr/blob/305f3bf" in r.url for r in portals)
    # Harris County now has a portal (Baytown TX PD in the national scrape of 2025-06-11, cited to its
    # workbook), so the county without portal data is one in Wyoming (issue 16)
    harris = build_report(ledger, resolve(ledger, county="Harris County, TX"), DAY)
    assert "Baytown TX PD's portal of 2025-06-11" in to_markdown(harris)
    assert any(
        r.kind == "portal" and "flock_all_public_6-11-2025.xlsx" in (r.url or "") for r in harris.references
    )
    laramie = to_markdown(build_report(ledger, resolve(ledger, county="Laramie County, WY"), DAY))
    assert "Plate-reader sharing in practice: no public portal data here on or before 2026-11-24." in laramie
