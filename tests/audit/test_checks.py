from __future__ import annotations

from pathlib import Path

from audit_paths import AUDIT, KEY

from sharemap.audit.engine import AuditOptions, run_audit
from sharemap.audit.schema import AuditResult, Severity

SMALL = AUDIT / "network_audit_small.csv"


def _rules(r: AuditResult) -> dict[tuple[str, str | None], int]:
    return {(f.rule_id, f.org_name): f.count for f in r.findings}


def test_all_checks_oregon() -> None:
    r = run_audit([SMALL], AuditOptions(state="OR", retention_days=30), engine="serial", key=KEY)
    rules = _rules(r)
    assert rules == {
        ("immigration_purpose", "Houston TX PD"): 1,
        ("immigration_purpose", "Homeland Security Investigations"): 1,
        ("no_stated_purpose", "Springfield OR PD"): 1,
        ("placeholder_purpose", "Fresno CA PD"): 1,
        ("lookback_beyond_retention", "Houston TX PD"): 1,
        ("wide_sweep", "Houston TX PD"): 1,
    }
    imm = [f for f in r.findings if f.rule_id == "immigration_purpose"]
    for f in imm:
        assert f.severity is Severity.HIGH
        assert f.law is not None and f.law.effect == "prohibited"
        assert any("ORS" in c.citation for c in f.law.provisions)
    # the drug "ice" row is not a finding
    assert all("ice sale" not in (e.reason or "") for f in r.findings for e in f.evidence)
    houston = next(f for f in imm if f.org_name == "Houston TX PD")
    assert houston.evidence[0].row == 3 and houston.evidence[0].subject.startswith("plate:")  # type: ignore[union-attr]
    assert houston.org_kind == "out_of_state"


def test_restricted_state_out_of_state_and_federal() -> None:
    r = run_audit([SMALL], AuditOptions(state="CA"), engine="serial", key=KEY)
    rules = _rules(r)
    assert rules[("out_of_state_access", "Houston TX PD")] == 1
    assert rules[("out_of_state_access", "Springfield OR PD")] == 2
    assert rules[("federal_access", "Homeland Security Investigations")] == 1
    f = next(f for f in r.findings if f.rule_id == "federal_access")
    assert f.law is not None and f.law.effect == "prohibited" and f.law.provisions
    assert ("lookback_beyond_retention", "Houston TX PD") not in rules
    # issue 15: the result (what the web and /api/audit show) names the option in words, never a CLI
    # flag; the CLI adds "--retention-days N" itself (tests/audit/test_audit_words.py)
    assert any("give a retention limit in days" in n for n in r.notices)
    assert not any("--" in n for n in r.notices)


def test_unrestricted_state_reports_no_access_findings() -> None:
    r = run_audit([SMALL], AuditOptions(state="OR"), engine="serial", key=KEY)
    assert not [f for f in r.findings if f.rule_id in ("out_of_state_access", "federal_access")]


def test_summary() -> None:
    r = run_audit([SMALL], AuditOptions(state="OR"), engine="serial", key=KEY)
    s = r.summary
    assert s.searches == 6 and s.users == 6
    assert s.networks == {"searches": 6, "median": 5.0, "p90": 1200, "max": 1200}
    assert s.lookback_days["max"] == 105
    assert s.top_terms == {"ICE": 1, "immigration": 1, "HSI": 1}


def test_combined_time_frame_cell() -> None:
    r = run_audit([AUDIT / "network_audit_time_frame.csv"], AuditOptions(state="OR", retention_days=30),
                  engine="serial", key=KEY)  # fmt: skip
    lb = next(f for f in r.findings if f.rule_id == "lookback_beyond_retention")
    assert lb.evidence[0].row == 2 and lb.evidence[0].lookback_days == 44.04


def test_state_retention_limit_comes_from_the_law() -> None:
    r = run_audit([SMALL], AuditOptions(state="VA"), engine="serial", key=KEY)
    lb = next(f for f in r.findings if f.rule_id == "lookback_beyond_retention")
    assert lb.org_name == "Houston TX PD" and lb.count == 1
    assert lb.law is not None and [c.provision_id for c in lb.law.provisions] == ["VA-Code2.2-5517-ALPR"]
    assert "21 days" in lb.explanation
    assert any("VA-Code2.2-5517-ALPR" in n and "21 days" in n for n in r.notices)
    # a limit given on the command line is used as given and cites no provision
    own = run_audit([SMALL], AuditOptions(state="VA", retention_days=200), engine="serial", key=KEY)
    assert not [f for f in own.findings if f.rule_id == "lookback_beyond_retention"]
    mine = run_audit([SMALL], AuditOptions(state="VA", retention_days=30), engine="serial", key=KEY)
    lb30 = next(f for f in mine.findings if f.rule_id == "lookback_beyond_retention")
    assert lb30.law is None


def test_retention_limit_applies_from_the_day_the_law_took_effect(tmp_path: Path) -> None:
    """WA's 21-day limit (SB 6002) took effect on 2026-03-30: a 60-day look-back made before then
    breaks no limit; the same look-back made after it does."""
    header = SMALL.read_text().splitlines()[0]
    row = ('"{id}","Officer A","Seattle WA PD","3","120","{start}, 09:00:00 AM UTC","{end}, 09:00:00 AM UTC",'
           '"","burglary","","","{end}, 09:00:00 AM UTC","search",""')  # fmt: skip
    log = tmp_path / "wa.csv"
    before = row.format(id="before", start="11/16/2025", end="01/15/2026")
    after = row.format(id="after", start="03/02/2026", end="05/01/2026")
    log.write_text(f"{header}\n{before}\n{after}\n")
    r = run_audit([log], AuditOptions(state="WA"), engine="serial", key=KEY)
    lb = next(f for f in r.findings if f.rule_id == "lookback_beyond_retention")
    assert lb.count == 1 and [e.event_id for e in lb.evidence] == ["after"]
    assert "21 days (searches from 2026-03-30)" in lb.explanation
    assert lb.law is not None and [c.provision_id for c in lb.law.provisions] == ["WA-SB6002-ALPR"]
    assert any("applied to searches made from 2026-03-30" in n for n in r.notices)
    assert r.settings["retention_periods"] == [
        {"from": "2026-03-30", "to": None, "days": 21, "law": lb.law.provisions[0].citation}
    ]
