"""Audit: read data-access logs into one access-event schema, classify stated purposes, run checks
that cite the law engine, and summarise. Entry point: `run_audit(paths, AuditOptions(...))`."""

from sharemap.audit.classify import Classification, Classifier, classify
from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.evaluate import evaluate
from sharemap.audit.formats import BUILTIN_FORMATS, FormatSpec, load_mapping
from sharemap.audit.pseudo import Pseudonymiser
from sharemap.audit.report import render_markdown
from sharemap.audit.schema import (
    EVENT_COLUMNS,
    AuditResult,
    Evidence,
    Finding,
    LawBasis,
    ReadIssue,
    Severity,
    Summary,
)

__all__ = [
    "BUILTIN_FORMATS",
    "EVENT_COLUMNS",
    "AuditOptions",
    "AuditResult",
    "Classification",
    "Classifier",
    "Evidence",
    "Finding",
    "FormatSpec",
    "LawBasis",
    "Pseudonymiser",
    "ReadIssue",
    "Severity",
    "Summary",
    "classify",
    "evaluate",
    "load_mapping",
    "render_markdown",
    "run_audit",
]
