"""Cited reports: the answer for a county, state, agency or the nation, in Markdown, HTML or PDF."""

from sharemap.report.build import Target, build_report, resolve
from sharemap.report.model import Report
from sharemap.report.render import to_html, to_markdown

__all__ = ["Report", "Target", "build_report", "resolve", "to_html", "to_markdown"]
