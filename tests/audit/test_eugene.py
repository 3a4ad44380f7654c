"""The real Eugene, OR log: the figures issue 5 asks for."""

from __future__ import annotations

import datetime as dt

import pytest
from audit_paths import EUGENE, KEY

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.schema import AuditResult


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return run_audit([EUGENE], AuditOptions(state="OR"), engine="serial", key=KEY)


def test_counts_and_range(result: AuditResult) -> None:
    s = result.summary
    assert s.searches == 4294
    assert s.first is not None and s.first.date() == dt.date(2025, 6, 18)
    assert s.last is not None and s.last.date() == dt.date(2025, 12, 2)
    assert s.users == 147
    assert result.files[0].format == "alpr-portal-search-log" and result.files[0].format_detected
    assert result.issues_total == 0 and result.files[0].rows_unreadable == 0


def test_no_immigration_findings(result: AuditResult) -> None:
    assert not [f for f in result.findings if f.rule_id.startswith("immigration")]
    assert "immigration" not in result.summary.by_category


def test_no_stated_purpose(result: AuditResult) -> None:
    assert result.summary.no_stated_purpose == {"Daytime search for best result": 182, "(blank)": 5}
    (f,) = [f for f in result.findings if f.rule_id == "no_stated_purpose"]
    assert f.count == 187 and f.evidence_total == 187
    assert len(f.evidence) == 100  # default evidence limit; every row is in --out
    assert all(e.file.endswith("EPDSearchAuditLogs.csv") and e.row >= 2 for e in f.evidence)


def test_reach(result: AuditResult) -> None:
    assert result.summary.devices["median"] == 135
    assert result.summary.devices["max"] == 87008
    (sweep,) = [f for f in result.findings if f.rule_id == "wide_sweep"]
    assert sweep.count == 45


def test_users_are_pseudonymised(result: AuditResult) -> None:
    for f in result.findings:
        for e in f.evidence:
            assert e.user is not None and e.user.startswith("user:") and len(e.user) == 17
    assert all(u.startswith("user:") for u in result.summary.top_users)


def test_reveal_shows_ids() -> None:
    r = run_audit([EUGENE], AuditOptions(state="OR", reveal=True, evidence_limit=1), engine="serial", key=KEY)
    e = r.findings[0].evidence[0]
    assert e.user is not None and not e.user.startswith("user:")
