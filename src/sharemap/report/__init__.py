"""Cited reports: the answer for a county, state, agency or the nation, in Markdown, HTML or PDF."""

from sharemap.report.build import Target, build_report, resolve
from sharemap.report.model import Report
from sharemap.report.render import to_html, to_markdown
from sharemap.report.sim import SimRun, load_run

__all__ = ["Report", "SimRun", "Target", "build_report", "load_run", "resolve", "to_html", "to_markdown"]
