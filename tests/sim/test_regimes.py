"""Enforcement regimes over time, periods reported per year, parameter draws, and their refusals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.errors import InputError
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import counties, select
from sharemap.sim.params import load_params
from sharemap.sim.period import simulate_period, summarise_period
from sharemap.sim.pipeline import run_kernel
from sharemap.sim.regimes import check_period, ero_factors, load_regimes, slices
from sharemap.sim.run import simulate, summarise
from sharemap.sim.scenarios import Scenario, compile_model, parse_scenario

D = dt.date


def test_regimes_follow_each_other_with_sources_and_the_2025_factor_is_not_fitted() -> None:
    regs = load_regimes()
    keys = [r.key for r in regs.regimes]
    assert keys == ["secure_communities", "pep", "eo_13768", "priorities_2021", "rescission_2025"]
    assert all(r.references and all(ref.url.startswith("http") for ref in r.references) for r in regs.regimes)
    f = ero_factors(load_params())
    assert f["secure_communities"] == 1.0
    assert 0 < f["pep"] < f["eo_13768"] < 1  # FY2016 85,720 and FY2017 142,474 detainers against FY2012
    assert f["rescission_2025"] == f["eo_13768"]  # an assumption, never fitted to TRAC's 2025 counts
    # the TRAC 2024 / 2025 figures are validation figures: no regime estimate uses them
    for r in regs.regimes:
        assert all(e.end < D(2024, 1, 1) for e in r.estimates), r.key


def test_secure_communities_rollout_thins_the_prints_that_reach_ident() -> None:
    regs = load_regimes()
    assert (
        regs.coverage(D(2008, 6, 1))
        < 0.01
        < regs.coverage(D(2010, 9, 30))
        < 0.3
        < regs.coverage(D(2012, 6, 1))
    )
    assert regs.coverage(D(2013, 6, 1)) == 1.0
    pierce = select(counties(), county="53053")
    early = compile_model(load_params(), pierce, Scenario(date=D(2010, 1, 1), agreements_source="none"))
    late = compile_model(load_params(), pierce, Scenario(date=D(2014, 1, 1), agreements_source="none"))
    a, b = run_kernel(early, expected=True), run_kernel(late, expected=True)
    assert early.regime == late.regime == "secure_communities"
    assert a.total("prints_to_ident") < 0.3 * b.total("prints_to_ident")
    assert a.total("ident_match") / a.total("prints_to_ident") == pytest.approx(
        b.total("ident_match") / b.total("prints_to_ident"), rel=1e-6
    )


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"from": "2025-01-01", "to": "2024-01-01"}, "to", "ends (2024-01-01) before it starts"),
        ({"from": "2005-01-01", "to": "2009-01-01"}, "from", "before 2008-01-01"),
        ({"date": "2007-12-31"}, "date", "before 2008-01-01"),
        ({"from": "2024-01-01", "to": "2031-01-01"}, "to", "after the last dated regime"),
        ({"from": "2024-01-01"}, "from", "needs both from and to"),
        ({"regime": "martial-law"}, "regime", "unknown regime 'martial-law'"),
    ],
)
def test_bad_periods_and_regimes_are_refused_with_the_reason(data: dict, field: str, reason: str) -> None:
    with pytest.raises(InputError) as e:
        parse_scenario(data, "p.yaml")
    assert reason in str(e.value) and f"field {field!r}" in str(e.value) and "p.yaml" in str(e.value)


def test_a_period_is_cut_at_years_and_regime_boundaries() -> None:
    cut = slices(D(2024, 6, 1), D(2025, 12, 31))
    assert [(s.year, s.start, s.end, s.regime) for s in cut] == [
        (2024, D(2024, 6, 1), D(2024, 12, 31), "priorities_2021"),
        (2025, D(2025, 1, 1), D(2025, 1, 19), "priorities_2021"),
        (2025, D(2025, 1, 20), D(2025, 12, 31), "rescission_2025"),
    ]
    assert sum(s.years for s in slices(D(2016, 1, 1), D(2016, 12, 31))) == pytest.approx(366 / 365.25)
    assert {s.regime for s in slices(D(2016, 1, 1), D(2018, 12, 31), "pep")} == {"pep"}
    with pytest.raises(InputError, match="unknown regime"):
        check_period(D(2016, 1, 1), D(2016, 2, 1), "nope")


def test_period_run_reports_per_year_and_the_2025_regime_issues_more_detainers(
    county_agreements: CountyAgreements,
) -> None:
    sc = Scenario(name="p")
    res = simulate_period(
        sc, D(2024, 1, 1), D(2025, 12, 31), state="DE", replicates=3, seed=4, engine="serial",
        agreements_on=lambda day: county_agreements,
    )  # fmt: skip
    s = summarise_period(res)
    years = {y["year"]: y for y in s["by_year"]}
    assert set(years) == {2024, 2025} and s["label"].startswith("SYNTHETIC")
    assert [r["regime"] for r in years[2025]["regimes"]] == ["priorities_2021", "rescission_2025"]
    assert years[2025]["days"] == 365 and years[2024]["days"] == 366
    det = {y: next(r for r in years[y]["stages"] if r["stage"] == "detainers")["mean"] for y in years}
    assert det[2025] > 1.3 * det[2024]
    again = simulate_period(
        sc, D(2024, 1, 1), D(2025, 12, 31), state="DE", replicates=3, seed=4, engine="serial",
        agreements_on=lambda day: county_agreements,
    )  # fmt: skip
    assert all(np.array_equal(a.county, b.county) for a, b in zip(res.runs, again.runs, strict=True))


def test_parameter_draws_widen_the_interval_and_say_so(county_agreements: CountyAgreements) -> None:
    base = Scenario(date=D(2025, 12, 31))
    kw = {"state": "DE", "replicates": 8, "seed": 3, "engine": "serial", "agreements": county_agreements}
    mc = summarise(simulate(base, **kw))  # type: ignore[arg-type]
    drawn = simulate(base, parameter_uncertainty=True, **kw)  # type: ignore[arg-type]
    pu = summarise(drawn)
    width = {
        k: next(r["ci_high"] - r["ci_low"] for r in s["stages"] if r["stage"] == "detainers")
        for k, s in (("mc", mc), ("pu", pu))
    }
    assert width["pu"] > width["mc"]
    assert len(mc["interval_includes"]) == 1 and "Monte Carlo" in mc["interval_includes"][0]
    assert "ident.enrolled.no_status" in pu["interval_includes"][1]
    assert "structural error" in pu["interval_excludes"]
    same = simulate(base, parameter_uncertainty=True, **kw)  # type: ignore[arg-type]
    assert np.array_equal(drawn.county, same.county)  # same seed, same draws, same results


def test_cli_period_json_and_refusal(ledger_db: Path) -> None:
    runner = CliRunner()
    args = ["sim", "run", "--json", "--state", "DE", "--replicates", "2", "--engine", "serial"]
    r = runner.invoke(app, [*args, "--from", "2024-12-01", "--to", "2025-02-28", "--db", str(ledger_db)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [y["year"] for y in out["by_year"]] == [2024, 2025]
    assert out["by_year"][1]["regimes"][1]["regime"] == "rescission_2025"
    bad = runner.invoke(app, [*args, "--from", "2025-02-28", "--to", "2024-12-01", "--db", str(ledger_db)])
    assert bad.exit_code != 0 and "before it starts" in bad.output
