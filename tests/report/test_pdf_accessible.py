"""The PDF report is tagged (PDF/UA-1): structure, language and title for screen readers (issue 15)."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from sharemap.report.model import Para, Reference, Report, Section, Sentence
from sharemap.report.pdf import pdf_available, to_pdf


@pytest.mark.skipif(not pdf_available()[0], reason="WeasyPrint or Pango missing")
def test_the_pdf_is_tagged_with_its_language_and_title() -> None:
    ref = Reference(
        1,
        "ICE, Delegation of Immigration Authority Section 287(g)",
        "https://www.ice.gov/287g",
        None,
        "ledger",
    )
    report = Report(
        kind="state",
        key="MD",
        place="Maryland",
        date=dt.date(2026, 3, 1),
        title="How local law enforcement and ICE share identity information: Maryland, 2026-03-01",
        sections=[Section("briefing", "Briefing", [Para((Sentence("Three agreements are listed.", (1,)),))])],
        references=[ref],
        followups=[],
        generated="2026-12-03T00:00:00+00:00",
    )
    with pdfplumber.open(io.BytesIO(to_pdf(report))) as pdf:
        catalog = pdf.doc.catalog
        assert {"StructTreeRoot", "MarkInfo", "Lang"} <= set(catalog)
        assert pdf.metadata.get("Title", "").startswith("How local law enforcement and ICE")
        assert "Three agreements are listed." in pdf.pages[0].extract_text()
