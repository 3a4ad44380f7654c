"""sharemap: how local law enforcement and ICE coordinate identity checks, and what is shared.

This module is the public Python API; it re-exports and defines nothing else. Ledger queries take a
DuckDB connection from `connect()` (the database `sharemap build` writes).
"""

from sharemap.audit import AuditOptions, AuditResult, Finding, classify, run_audit
from sharemap.errors import DataError, InputError, NotFoundError, SharemapError, StoreError
from sharemap.flows import compare, dot, instantiate, matrix, mermaid, trace
from sharemap.kb.load import check_kb, load_kb
from sharemap.kb.model import Agency, AgencyKind, Agreement, AgreementStatus, Model287g, Snapshot, Source
from sharemap.law import Action, Actor, Context, Effect, LegalProcess, Purpose, Ruling, rule
from sharemap.law.compile import rule_table
from sharemap.law.overview import matrix as law_matrix
from sharemap.law.overview import overview as law_overview
from sharemap.ledger.changes import changes
from sharemap.ledger.freshness import freshness
from sharemap.ledger.geo import counties, county_by_name, locate, state_code
from sharemap.ledger.lists import read_list
from sharemap.ledger.moa import read_moa
from sharemap.ledger.query import (
    agency_history,
    agency_links,
    agreements,
    find_agency,
    national_summary,
    snapshot_as_of,
    stats,
)
from sharemap.ledger.store import build_database, connect, export, load_shipped
from sharemap.ledger.update import update as update_ledger
from sharemap.report import Report, Target, build_report, to_html, to_markdown
from sharemap.sim.calibrate import calibrate
from sharemap.sim.run import compare as compare_scenarios
from sharemap.sim.run import simulate, summarise
from sharemap.sim.scenarios import Scenario, load_scenario

__all__ = [
    "Action",
    "Actor",
    "Agency",
    "AgencyKind",
    "Agreement",
    "AgreementStatus",
    "AuditOptions",
    "AuditResult",
    "Context",
    "DataError",
    "Effect",
    "Finding",
    "InputError",
    "LegalProcess",
    "Model287g",
    "NotFoundError",
    "Purpose",
    "Report",
    "Ruling",
    "Scenario",
    "SharemapError",
    "Snapshot",
    "Source",
    "StoreError",
    "Target",
    "agency_history",
    "agency_links",
    "agreements",
    "build_database",
    "build_report",
    "calibrate",
    "changes",
    "check_kb",
    "classify",
    "compare",
    "compare_scenarios",
    "connect",
    "counties",
    "county_by_name",
    "dot",
    "export",
    "find_agency",
    "freshness",
    "instantiate",
    "law_matrix",
    "law_overview",
    "load_kb",
    "load_scenario",
    "load_shipped",
    "locate",
    "matrix",
    "mermaid",
    "national_summary",
    "read_list",
    "read_moa",
    "rule",
    "rule_table",
    "run_audit",
    "simulate",
    "snapshot_as_of",
    "state_code",
    "stats",
    "summarise",
    "to_html",
    "to_markdown",
    "trace",
    "update_ledger",
]
