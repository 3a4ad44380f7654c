"""PDF through WeasyPrint (optional: `pip install weasyprint`, which needs Pango from the system)."""

from __future__ import annotations

import importlib

from sharemap.errors import InputError
from sharemap.report.model import Report
from sharemap.report.render import to_html


def pdf_available() -> tuple[bool, str]:
    try:
        importlib.import_module("weasyprint")
    except Exception as exc:  # ImportError, or OSError when Pango is missing
        return False, f"WeasyPrint is not installed or cannot load its system libraries ({exc})"
    return True, ""


def to_pdf(report: Report) -> bytes:
    ok, why = pdf_available()
    if not ok:
        raise InputError(f"PDF not available: {why}", expected="--format md or html, or install weasyprint")
    weasyprint = importlib.import_module("weasyprint")
    # PDF/UA-1: a tagged PDF (headings, lists, tables and links as structure, with the document's
    # language and title), which screen readers and reflow need.
    data = weasyprint.HTML(string=to_html(report)).write_pdf(pdf_variant="pdf/ua-1")
    assert data is not None
    return bytes(data)
