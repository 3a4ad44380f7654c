"""The vectorised kernel: conservation, reproducibility, expectation, and the law applied per state."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import counties, select
from sharemap.sim.params import load_params
from sharemap.sim.pipeline import STAGES, S, run_kernel
from sharemap.sim.scenarios import Scenario, compile_model

COLLIER, COOK, HARRIS = "12021", "17031", "48201"
AGREEMENTS: list[CountyAgreements] = []


@pytest.fixture(autouse=True, scope="module")
def _agreements(county_agreements: CountyAgreements) -> None:
    """The ledger's list of 2025-12-31 for every model this module compiles (hypothesis-safe)."""
    AGREEMENTS[:] = [county_agreements]


def compile_(table, scenario: Scenario | None = None):  # type: ignore[no-untyped-def]
    return compile_model(load_params(), table, scenario, agreements=AGREEMENTS[0])


def model_for(*fips: str, scenario: Scenario | None = None):  # type: ignore[no-untyped-def]
    table = counties()
    return compile_(table.take([table.index(f) for f in fips]), scenario)


def test_counts_are_conserved() -> None:
    r = run_kernel(model_for(COLLIER, COOK, HARRIS), 1.0, np.random.default_rng(1))
    c = r.county
    assert np.all(c >= 0)
    assert np.allclose(c[:, S["holds"]] + c[:, S["notify_only"]] + c[:, S["declined"]], c[:, S["detainers"]])
    assert np.allclose(c[:, S["pickups"]] + c[:, S["released_after_detainer"]], c[:, S["detainers"]])
    assert np.all(c[:, S["detainers"]] <= c[:, S["ero_decided"]])
    assert np.all(c[:, S["flagged"]] >= c[:, S["ident_match"]])
    assert np.isclose(r.cells[0].sum(), c[:, S["bookings"]].sum())


def test_same_seed_same_result_and_mean_near_expectation() -> None:
    m = model_for(COLLIER, COOK)
    a = run_kernel(m, 1.0, np.random.default_rng(7))
    b = run_kernel(m, 1.0, np.random.default_rng(7))
    assert np.array_equal(a.county, b.county) and np.array_equal(a.latency_hist, b.latency_hist)
    e = run_kernel(m, 1.0, expected=True)
    reps = np.stack([run_kernel(m, 1.0, np.random.default_rng(s)).county for s in range(30)])
    mean, se = reps.mean(0), reps.std(0, ddof=1) / np.sqrt(30) + 1e-9
    z = np.abs(mean - e.county) / se
    assert np.all(z[:, [S[s] for s in ("bookings", "ident_match", "detainers", "holds", "pickups")]] < 5)


def test_state_law_decides_the_jail_response() -> None:
    r = run_kernel(model_for(COLLIER, COOK, HARRIS), 1.0, expected=True)
    collier, cook, harris = r.county
    assert collier[S["detainers"]] > 0 and np.isclose(
        collier[S["holds"]], collier[S["detainers"]]
    )  # FL: required, JEM
    assert cook[S["holds"]] == 0 and cook[S["notify_only"]] == 0  # IL TRUST Act: no holds, no notification
    assert np.isclose(harris[S["holds"]], harris[S["detainers"]])  # TX SB 4: holds required
    assert collier[S["jem_screened"]] > 0 and cook[S["jem_screened"]] == 0


def test_levers_move_outcomes_in_the_expected_direction() -> None:
    base = run_kernel(model_for(HARRIS), 1.0, expected=True).county[0]
    prio = run_kernel(
        model_for(HARRIS, scenario=Scenario(ero_priorities="prior_arrest_only")), 1.0, expected=True
    ).county[0]
    bio = run_kernel(
        model_for(HARRIS, scenario=Scenario(checks="biometric_only")), 1.0, expected=True
    ).county[0]
    assert prio[S["detainers"]] < base[S["detainers"]]
    assert bio[S["name_checks"]] == 0 and bio[S["detainers"]] < base[S["detainers"]]
    assert len(STAGES) == len(base)


def test_a_whole_state_runs() -> None:
    r = run_kernel(compile_(select(counties(), state="DE")), 1.0, np.random.default_rng(0))
    assert r.county.shape[0] == 3


def test_warrant_service_officers_serve_warrants_on_held_people() -> None:
    # Allegheny County, PA: no state provision on holds (New York's courts bar them: People ex rel.
    # Wells v. DeMarco, 2018, now encoded)
    sc = Scenario(
        date=dt.date(2025, 12, 31), agreements_source="none", agreements_counties={"42003": ("WSO",)}
    )
    r = run_kernel(model_for("42003", scenario=sc), 1.0, expected=True).county[0]
    assert r[S["holds"]] > 0 and np.isclose(r[S["wso_warrants_served"]], r[S["holds"]])
    assert np.isclose(r[S["holds"]], r[S["detainers"]])  # a WSO agreement means holds


@settings(max_examples=15, deadline=None)
@given(
    intensity=st.floats(0.0, 2.0),
    more=st.floats(0.0, 1.0),
    state=st.sampled_from(["FL", "IL", "TX", "NY", "WA", "GA"]),
)
def test_more_ero_intensity_never_means_fewer_detainers(intensity: float, more: float, state: str) -> None:
    table = select(counties(), state=state)
    table = table.take(list(range(min(len(table), 5))))
    lo = run_kernel(compile_(table, Scenario(ero_intensity=intensity)), 1.0, expected=True)
    hi = run_kernel(compile_(table, Scenario(ero_intensity=intensity + more)), 1.0, expected=True)
    assert hi.total("detainers") >= lo.total("detainers") - 1e-6


@settings(max_examples=10, deadline=None)
@given(state=st.sampled_from(["FL", "TX", "NY", "GA", "OH"]))
def test_a_hold_ban_never_increases_holds_or_pickups(state: str) -> None:
    table = select(counties(), state=state)
    table = table.take(list(range(min(len(table), 5))))
    base = run_kernel(compile_(table), 1.0, expected=True)
    ban = run_kernel(compile_(table, Scenario(state_law={state: "prohibited"})), 1.0, expected=True)
    assert ban.total("holds") <= base.total("holds") and ban.total("pickups") <= base.total("pickups")
    assert ban.total("holds") == 0
