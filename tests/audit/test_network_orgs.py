"""Issue 16: the audit reads searching organisations with the sharing layer's resolver, and a
network audit's aggregates (one row per organisation) go through the same organisation rules."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from audit_paths import AUDIT, EUGENE, KEY
from typer.testing import CliRunner

from sharemap import settings
from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.orgs import classify_org
from sharemap.audit.schema import AuditResult, Finding, Severity
from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.sharing import findings as sharing_findings
from sharemap.sharing import resolver

SANTA_CLARA = settings.reference_dir() / "alpr" / "santa-clara-network-audit" / "agencies_top_extract.csv"
SMALL = AUDIT / "network_audit_small.csv"
CIVIL_CODE = "Cal. Civ. Code 1798.90.55(b)"


@pytest.fixture(scope="module")
def santa_clara() -> AuditResult:
    options = AuditOptions(state="CA", org="Santa Clara CA PD")
    return run_audit([SANTA_CLARA], options, engine="serial", key=KEY)


def _by(r: AuditResult) -> dict[tuple[str, str | None], Finding]:
    return {(f.rule_id, f.org_name): f for f in r.findings}


def test_santa_clara_gives_las_vegas_metro_and_the_federal_searchers(santa_clara: AuditResult) -> None:
    r = santa_clara
    assert r.files[0].format == "alpr-network-audit-aggregates" and r.files[0].rows_read == 152
    assert r.summary.searches == 12_966_228  # the 152 organisations' searches (87% of 14,895,298)
    found = _by(r)
    vegas = found[("out_of_state_access", "Las Vegas Metro NV PD")]
    assert (vegas.org_state, vegas.org_type, vegas.org_kind) == ("NV", "police", "out_of_state")
    assert vegas.severity is Severity.HIGH and vegas.count == 91_691
    assert vegas.details["last_search"] == "2025-09-23"
    assert "(police, NV)" in vegas.explanation and "to 2025-09-23" in vegas.explanation
    assert CIVIL_CODE in vegas.explanation
    assert any(CIVIL_CODE in c.citation for c in vegas.law.provisions)
    assert vegas.evidence[0].row == 34 and vegas.evidence[0].org_name == "Las Vegas Metro NV PD"
    federal = {o for rule, o in found if rule == "federal_access"}
    assert federal == {"[Federal] US Postal Inspection Service", "[Federal] FBI [Inactive]"}
    for o in federal:
        f = found[("federal_access", o)]
        assert (f.org_state, f.org_type, f.org_kind) == ("US", "federal", "federal")
    assert ("out_of_state_access", "Houston TX PD") in found  # an out-of-state searcher in the top 152


def test_the_audit_reads_names_as_sharing_does(santa_clara: AuditResult) -> None:
    """Each searcher has the kind and state that `sharemap sharing` gives the name, and the audit
    flags the same organisations that the sharing findings name for this network audit."""
    names = resolver()
    for f in santa_clara.findings:
        org = names(f.org_name or "")
        assert (f.org_type, f.org_state, f.org_basis) == (org.kind.value, org.state, org.basis)
    shared = {o for s in sharing_findings(state="CA") if s.agency.startswith("Santa Clara") for o in s.orgs}
    assert {f.org_name for f in santa_clara.findings} == shared
    mocic = classify_org("MOCIC", "CA")  # a fusion centre the name alone does not place: the registry does
    assert (mocic.org_type, mocic.state, mocic.basis) == ("fusion_centre", "MO", "registry")


def test_a_federal_immigration_searcher_is_held_to_the_immigration_law() -> None:
    """Illinois bars sharing plate-reader data for immigration enforcement (625 ILCS 5/2-130(b)) but
    not with federal agencies as such: HSI's search is a federal-immigration finding there."""
    r = run_audit([SMALL], AuditOptions(state="IL", retention_days=365), engine="serial", key=KEY)
    found = _by(r)
    hsi = found[("federal_immigration_access", "Homeland Security Investigations")]
    assert hsi.org_type == "federal_immigration" and hsi.org_state == "US"
    assert hsi.severity is Severity.HIGH and "2-130(b)" in hsi.explanation
    assert "(federal immigration, US)" in hsi.explanation
    assert ("federal_access", "Homeland Security Investigations") not in found
    assert ("out_of_state_access", "Houston TX PD") in found  # 2-130(c): out-of-state sharing
    ca = _by(run_audit([SMALL], AuditOptions(state="CA"), engine="serial", key=KEY))
    # California bars sharing with any federal agency; no immigration-specific plate-reader provision
    # is coded, so HSI is one federal finding there, naming what it is
    assert ("federal_immigration_access", "Homeland Security Investigations") not in ca
    federal = ca[("federal_access", "Homeland Security Investigations")]
    assert "(federal immigration, US)" in federal.explanation


def test_aggregates_through_the_cli_and_out(tmp_path: Path) -> None:
    out = tmp_path / "flagged.parquet"
    res = CliRunner().invoke(
        app, ["audit", str(SANTA_CLARA), "--state", "CA", "--engine", "serial", "--json", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    vegas = next(f for f in d["findings"] if f["org_name"] == "Las Vegas Metro NV PD")
    assert vegas["rule_id"] == "out_of_state_access" and vegas["org_state"] == "NV"
    rows = duckdb.sql(f"SELECT rule_id, row, org_name FROM '{out}' ORDER BY row").fetchall()
    assert len(rows) == len(d["findings"]) == 13
    assert ("out_of_state_access", 34, "Las Vegas Metro NV PD") in rows


def test_aggregates_without_a_state_and_with_a_bad_row(tmp_path: Path) -> None:
    r = run_audit([SANTA_CLARA], AuditOptions(), engine="serial", key=KEY)
    assert r.findings == [] and r.summary.by_org_kind["federal"] == 79_734  # read, not ruled
    bad = tmp_path / "agg.csv"
    rows = [
        "org,searches,first,last",
        "Houston TX PD,12,2024-01-01,2024-02-01",
        "X PD,many,2024-01-01,2024-02-01",
    ]
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as exc:
        run_audit([bad], AuditOptions(state="CA"), engine="serial", key=KEY)
    assert exc.value.row == 3 and "agg.csv" in str(exc.value)


def test_logs_keep_their_pseudonyms_and_organisations() -> None:
    """A per-search log is still read row by row: user ids and plates pseudonymised, the requesting
    organisation read by the resolver (Eugene's own log names no organisation: the logging agency)."""
    r = run_audit([SMALL], AuditOptions(state="CA"), engine="serial", key=KEY)
    ev = [e for f in r.findings for e in f.evidence]
    assert ev and all(e.user is None or e.user.startswith("user:") for e in ev)
    assert all(e.subject is None or e.subject.startswith("plate:") for e in ev)
    houston = _by(r)[("out_of_state_access", "Houston TX PD")]
    assert (houston.org_type, houston.org_state, houston.org_basis) == ("police", "TX", "name code")
    eugene = run_audit([EUGENE], AuditOptions(state="OR"), engine="serial", key=KEY)
    assert eugene.summary.by_org_kind == {"local": eugene.summary.searches}
    assert all(f.org_type is None for f in eugene.findings)
