"""sharemap: how local law enforcement and ICE coordinate identity checks, and what is shared.

The public Python API is the short list in `__all__`: the entry points of each capability (ledger,
law, reports, simulation, audit, knowledge base) and the errors they raise. Everything else stays in
its module (`sharemap.flows` for traces and diagrams, `sharemap.sharing` for plate-reader portals,
`sharemap.law.overview`, ...). Ledger queries take a DuckDB connection from `connect()` (the
database `sharemap build` writes).

Names load on first use (PEP 562), so `import sharemap` costs milliseconds and pulls in neither
DuckDB, pyarrow, pandas nor networkx until a function that needs them is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sharemap.audit.engine import AuditOptions, run_audit
    from sharemap.audit.schema import AuditResult
    from sharemap.errors import DataError, InputError, NotFoundError, SharemapError, StoreError
    from sharemap.kb.load import load_kb
    from sharemap.law.engine import Context, Ruling, rule
    from sharemap.law.vocab import Effect
    from sharemap.ledger.changes import changes
    from sharemap.ledger.freshness import freshness
    from sharemap.ledger.geo import county_by_name
    from sharemap.ledger.lists import read_list
    from sharemap.ledger.moa import read_moa
    from sharemap.ledger.query import (
        agency_history,
        agency_links,
        agreements,
        find_agency,
        national_summary,
        stats,
    )
    from sharemap.ledger.store import connect
    from sharemap.report.build import Target, build_report
    from sharemap.report.render import to_html, to_markdown
    from sharemap.sim.run import simulate, summarise
    from sharemap.sim.scenarios import Scenario, load_scenario

# public name -> the module that defines it (imported on first access)
_PUBLIC: dict[str, str] = {
    # errors: every error sharemap raises on purpose is a SharemapError
    "SharemapError": "sharemap.errors",
    "InputError": "sharemap.errors",
    "DataError": "sharemap.errors",
    "NotFoundError": "sharemap.errors",
    "StoreError": "sharemap.errors",
    # ledger: ICE's 287(g) lists over time
    "connect": "sharemap.ledger.store",
    "agreements": "sharemap.ledger.query",
    "national_summary": "sharemap.ledger.query",
    "stats": "sharemap.ledger.query",
    "find_agency": "sharemap.ledger.query",
    "agency_history": "sharemap.ledger.query",
    "agency_links": "sharemap.ledger.query",
    "changes": "sharemap.ledger.changes",
    "freshness": "sharemap.ledger.freshness",
    "county_by_name": "sharemap.ledger.geo",
    "read_list": "sharemap.ledger.lists",
    "read_moa": "sharemap.ledger.moa",
    # law: dated provisions and the engine that rules on them
    "rule": "sharemap.law.engine",
    "Context": "sharemap.law.engine",
    "Ruling": "sharemap.law.engine",
    "Effect": "sharemap.law.vocab",
    # reports
    "Target": "sharemap.report.build",
    "build_report": "sharemap.report.build",
    "to_markdown": "sharemap.report.render",
    "to_html": "sharemap.report.render",
    # simulation (SYNTHETIC people)
    "Scenario": "sharemap.sim.scenarios",
    "load_scenario": "sharemap.sim.scenarios",
    "simulate": "sharemap.sim.run",
    "summarise": "sharemap.sim.run",
    # audit of data-access logs
    "AuditOptions": "sharemap.audit.engine",
    "AuditResult": "sharemap.audit.schema",
    "run_audit": "sharemap.audit.engine",
    # knowledge base of systems and channels
    "load_kb": "sharemap.kb.load",
}

# names the package used to re-export: still importable from their modules, no longer from here
_MOVED: dict[str, str] = {
    "Action": "sharemap.law",
    "Actor": "sharemap.law",
    "LegalProcess": "sharemap.law",
    "Purpose": "sharemap.law",
    "rule_table": "sharemap.law.compile",
    "law_matrix": "sharemap.law.overview (as matrix)",
    "law_overview": "sharemap.law.overview (as overview)",
    "Agency": "sharemap.kb.model",
    "AgencyKind": "sharemap.kb.model",
    "Agreement": "sharemap.kb.model",
    "AgreementStatus": "sharemap.kb.model",
    "Model287g": "sharemap.kb.model",
    "Snapshot": "sharemap.kb.model",
    "Source": "sharemap.kb.model",
    "check_kb": "sharemap.kb.load",
    "Finding": "sharemap.audit",
    "classify": "sharemap.audit",
    "compare": "sharemap.flows",
    "dot": "sharemap.flows",
    "instantiate": "sharemap.flows",
    "matrix": "sharemap.flows",
    "mermaid": "sharemap.flows",
    "trace": "sharemap.flows",
    "Report": "sharemap.report",
    "calibrate": "sharemap.sim.calibrate",
    "compare_scenarios": "sharemap.sim.run (as compare)",
    "build_database": "sharemap.ledger.store",
    "export": "sharemap.ledger.store",
    "load_shipped": "sharemap.ledger.store",
    "update_ledger": "sharemap.ledger.update (as update)",
    "counties": "sharemap.ledger.geo",
    "locate": "sharemap.ledger.geo",
    "state_code": "sharemap.ledger.geo",
    "snapshot_as_of": "sharemap.ledger.query",
}

__all__ = [
    "AuditOptions",
    "AuditResult",
    "Context",
    "DataError",
    "Effect",
    "InputError",
    "NotFoundError",
    "Ruling",
    "Scenario",
    "SharemapError",
    "StoreError",
    "Target",
    "agency_history",
    "agency_links",
    "agreements",
    "build_report",
    "changes",
    "connect",
    "county_by_name",
    "find_agency",
    "freshness",
    "load_kb",
    "load_scenario",
    "national_summary",
    "read_list",
    "read_moa",
    "rule",
    "run_audit",
    "simulate",
    "stats",
    "summarise",
    "to_html",
    "to_markdown",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and keep the name here for the next one."""
    module = _PUBLIC.get(name)
    if module is None:
        hint = f"; import it from {_MOVED[name]}" if name in _MOVED else ""
        raise AttributeError(f"module 'sharemap' has no attribute {name!r}{hint}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
