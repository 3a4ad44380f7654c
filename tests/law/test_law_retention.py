"""Retention limits for plate-reader data: dated, cited, validated, and never from unconfirmed law."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.errors import DataError, InputError
from sharemap.law import (
    Action,
    Actor,
    Law,
    RetainedData,
    Verification,
    default_law,
    retention_days,
    retention_provisions,
    rule,
)
from sharemap.law.load import load_file
from sharemap.law.vocab import Status

BAD = Path(__file__).parent / "fixtures" / "bad"

RETENTION_ONLY = """jurisdiction: {j}
provisions:
  - id: {pid}
    citation: "c"
    title: "t"
    summary: "s"
    effective_from: {start}
    status: {status}
    actors: [plate_reader_operator]
    effect: required
    retention:
      data: alpr
      {limit}
      applies_to: "plate reads held by the agency"
      exceptions: ["an ongoing investigation"]
    verification: unverified
    sources: [{{title: "src", url: "https://example.org/x"}}]
"""


def _write(tmp_path: Path, name: str, **kw: str) -> Path:
    values = {"j": "VA", "pid": "VA-test-ret", "start": "2020-01-01", "status": "in_force"}
    values["limit"] = "days: 7"
    values.update(kw)
    path = tmp_path / name
    path.write_text(RETENTION_ONLY.format(**values), encoding="utf-8")
    return path


def _law(tmp_path: Path, name: str = "VA.yaml", **kw: str) -> Law:
    return Law(load_file(_write(tmp_path, name, **kw)))


def test_virginia_limit_starts_on_its_effective_date() -> None:
    assert retention_days("VA", dt.date(2025, 6, 30)) is None
    r = retention_days("VA", dt.date(2025, 7, 1))
    assert r is not None
    assert r.days == 21
    assert r.provision_id == "VA-Code2.2-5517-ALPR"
    assert r.citation.startswith("Va. Code 2.2-5517")
    assert r.data_kind is RetainedData.ALPR
    assert r.verification is Verification("partially_verified")
    assert r.sources and all(s.url for s in r.sources)
    assert "investigation" in r.exceptions_text
    d = r.to_dict()
    assert d["days"] == 21 and d["provision"] == "VA-Code2.2-5517-ALPR" and d["date"] == "2025-07-01"
    assert "2.2-5517" in r.explain()


@pytest.mark.parametrize(
    ("state", "first_day", "days", "pid"),
    [
        ("WA", "2026-03-30", 21, "WA-SB6002-ALPR"),
        ("ME", "2017-01-01", 21, "ME-29-A-2117-A-ALPR-retention"),
        ("AR", "2017-01-01", 150, "AR-ACA12-12-1804-ALPR-retention"),
        ("MT", "2017-10-01", 90, "MT-MCA46-5-118-ALPR-retention"),
        ("NE", "2018-07-19", 180, "NE-RRS60-3204-ALPR-retention"),
        ("UT", "2017-01-01", 9 * 31, "UT-UCA41-6a-2004-ALPR-retention"),
        ("GA", "2018-07-01", 30 * 31, "GA-OCGA35-1-22-ALPR-retention"),
        # re-verified 2026-12-03: in force since 2014 (2014 Tenn. Pub. Acts ch. 625); from the range start
        ("TN", "2017-01-01", 90, "TN-TCA55-10-302-ALPR-retention"),
    ],
)
def test_shipped_limits_apply_from_their_date(state: str, first_day: str, days: int, pid: str) -> None:
    on = dt.date.fromisoformat(first_day)
    r = retention_days(state, on)
    assert r is not None and r.days == days and r.provision_id == pid
    assert retention_days(state, on - dt.timedelta(days=1)) is None


def test_month_limits_report_the_period_and_count_31_days_a_month() -> None:
    r = retention_days("UT", dt.date(2026, 1, 1))
    assert r is not None and r.period == "9 months" and r.days == 279


def test_policy_only_state_returns_a_provision_without_days() -> None:
    r = retention_days("CA", dt.date(2026, 1, 1))
    assert r is not None
    assert r.days is None
    assert r.provision_id == "CA-CIV1798.90.51-ALPR-retention-policy"
    assert "policy" in r.period


def test_unconfirmed_provisions_never_apply() -> None:
    # no shipped retention limit that is unconfirmed applies on any date (the synthetic case is below)
    for p in retention_provisions():
        if p.status is Status.UNCONFIRMED:
            for day in (dt.date(2017, 1, 1), dt.date(2026, 1, 1), dt.date(2030, 1, 1)):
                r = retention_days(p.jurisdiction, day)
                assert r is None or r.provision_id != p.id, p.id
    # re-verified 2026-12-03: Tennessee's 90-day rule (Tenn. Code Ann. 55-10-302) was enacted by 2014 Tenn.
    # Pub. Acts ch. 625, effective 2014-07-01, so it is in force and no longer recorded as unconfirmed
    tn = retention_days("TN", dt.date(2026, 1, 1))
    assert tn is not None and tn.days == 90 and tn.provision_id == "TN-TCA55-10-302-ALPR-retention"


def test_unconfirmed_never_applies_on_any_date(tmp_path: Path) -> None:
    law = _law(tmp_path, status="unconfirmed")
    for day in (dt.date(2019, 12, 31), dt.date(2020, 1, 1), dt.date(2030, 1, 1)):
        assert retention_days("VA", day, law=law) is None
    confirmed = _law(tmp_path, "VA2.yaml")
    assert retention_days("VA", dt.date(2020, 1, 1), law=confirmed) is not None


def test_strictest_number_wins_and_superseded_limits_end(tmp_path: Path) -> None:
    a = load_file(_write(tmp_path, "a.yaml", pid="VA-test-a", limit="days: 30"))
    b = load_file(_write(tmp_path, "b.yaml", pid="VA-test-b", limit="days: 14"))
    c = load_file(_write(tmp_path, "c.yaml", pid="VA-test-c", limit="days: null"))
    law = Law([*a, *b, *c])
    r = retention_days("VA", dt.date(2024, 1, 1), "alpr", law=law)
    assert r is not None and r.days == 14 and r.provision_id == "VA-test-b"
    only_policy = retention_days("VA", dt.date(2024, 1, 1), law=Law(c))
    assert only_policy is not None and only_policy.days is None
    ended = _law(tmp_path, "d.yaml", pid="VA-test-d", status="superseded\n    effective_to: 2024-01-01")
    assert retention_days("VA", dt.date(2023, 12, 31), law=ended) is not None
    assert retention_days("VA", dt.date(2024, 1, 1), law=ended) is None


def test_bad_retention_value_is_refused_with_file_id_and_field() -> None:
    with pytest.raises(DataError) as err:
        load_file(BAD / "bad_retention_days.yaml")
    exc = err.value
    assert exc.file is not None and exc.file.endswith("bad_retention_days.yaml")
    assert exc.field == "VA-test-bad-retention.retention.days"
    assert "VA-test-bad-retention" in exc.describe()


@pytest.mark.parametrize(
    ("limit", "field"),
    [
        ("days: 0", "retention.days"),
        ("days: -21", "retention.days"),
        ("days: 2.5", "retention.days"),
        ("days: 21\n      months: 1", "retention"),
        ("days: 21\n      hours: 3", "retention.hours"),
    ],
)
def test_other_bad_limits_are_refused(tmp_path: Path, limit: str, field: str) -> None:
    with pytest.raises(DataError) as err:
        load_file(_write(tmp_path, "VA.yaml", pid="VA-test-bad", limit=limit))
    assert err.value.field is not None and err.value.field.startswith(f"VA-test-bad.{field}")


def test_unknown_data_kind_and_missing_actions_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "VA.yaml", pid="VA-test-kind")
    path.write_text(path.read_text().replace("data: alpr", "data: dmv_photos"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_file(path)
    assert err.value.field == "VA-test-kind.retention.data"
    # neither actions nor a retention block
    lines = _write(tmp_path, "VA2.yaml", pid="VA-test-none").read_text().splitlines()
    start = lines.index("    retention:")
    path.write_text("\n".join(lines[:start] + lines[start + 5 :]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_file(path)
    assert err.value.field == "VA-test-none.actions"
    # a retention-only provision carries the duty to delete (effect required)
    path = _write(tmp_path, "VA3.yaml", pid="VA-test-effect")
    path.write_text(path.read_text().replace("effect: required", "effect: permitted"), encoding="utf-8")
    with pytest.raises(DataError, match="retention limit"):
        load_file(path)


def test_retention_only_provisions_never_enter_rulings() -> None:
    law = default_law()
    only = {p.id: p.jurisdiction for p in retention_provisions() if not p.actions}
    assert only
    for j in set(only.values()):
        for actor in Actor:
            for action in Action:
                assert not {r.p.id for r in law.candidates(j, actor, action)} & only.keys()
    # a state whose only provision is a retention limit has no state-decided ruling
    r = rule("NE", "plate_reader_operator", "share_alpr_federal", dt.date(2026, 1, 1))
    assert all(p.jurisdiction != "NE" for p in r.provisions)


def test_every_retention_provision_is_cited_and_named() -> None:
    provs = retention_provisions()
    assert {p.jurisdiction for p in provs} >= {"VA", "WA", "ME", "AR", "MT", "NE", "UT", "GA", "CA", "TN"}
    for p in provs:
        assert p.sources and all(s.url for s in p.sources), p.id
        assert p.verification_note, p.id
        assert p.retention is not None and p.retention.applies_to


def test_bad_arguments() -> None:
    with pytest.raises(InputError):
        retention_days("XX", dt.date(2025, 7, 1))
    with pytest.raises(InputError):
        retention_days("VA", dt.date(2025, 7, 1), "tax_returns")
    assert retention_days("US", dt.date(2025, 7, 1)) is None
    r = retention_days("VA", "2025-07-01")  # type: ignore[arg-type]
    assert r is not None and r.days == 21


runner = CliRunner()


def test_cli_retention_json_and_text() -> None:
    res = runner.invoke(app, ["law", "retention", "--state", "VA", "--date", "2025-07-01", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["days"] == 21 and out["provision"] == "VA-Code2.2-5517-ALPR"
    res = runner.invoke(app, ["law", "retention", "--state", "VA", "--date", "2025-06-30", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["days"] is None
    res = runner.invoke(app, ["law", "retention", "--state", "va", "--date", "2025-06-30"])
    assert res.exit_code == 0 and "no coded provision" in res.stdout
    res = runner.invoke(app, ["law", "retention", "--date", "2026-11-24", "--json"])
    assert res.exit_code == 0, res.output
    limits = {r["jurisdiction"]: r["days"] for r in json.loads(res.stdout)["limits"]}
    assert limits["VA"] == 21 and limits["MT"] == 90 and limits["CA"] is None
    # re-verified 2026-12-03: Tennessee's limit is in force (2014 Tenn. Pub. Acts ch. 625)
    assert limits["TN"] == 90
