"""The SimPy reference model and the vectorised kernel simulate the same process (statistical test)."""

from __future__ import annotations

import numpy as np

from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import counties, select
from sharemap.sim.des import run_des
from sharemap.sim.ledger import EVENTS
from sharemap.sim.params import load_params
from sharemap.sim.pipeline import run_kernel
from sharemap.sim.scenarios import Scenario, compile_model

COLLIER = "12021"  # Florida, Jail Enforcement Model agreement in ICE's list


def test_des_agrees_with_the_kernel(county_agreements: CountyAgreements) -> None:
    model = compile_model(load_params(), select(counties(), county=COLLIER), agreements=county_agreements)
    exp = run_kernel(model, 2.0, expected=True)
    des = [run_des(model, 2.0, seed=s, write_ledger=False, capacity=False).counts for s in range(3)]
    for stage in (
        "bookings",
        "ident_match",
        "name_checks",
        "flagged",
        "ero_decided",
        "detainers",
        "holds",
        "pickups",
    ):
        obs = np.mean([d[stage] for d in des])
        e = exp.total(stage)
        # Poisson-like spread of the mean of 3 runs; a z of 4 fails only on a real disagreement
        assert abs(obs - e) <= 4 * np.sqrt(max(e, 1) / 3) + 0.02 * e, (stage, obs, e)


def test_capacity_queues_reduce_pickups_and_ledger_is_written(county_agreements: CountyAgreements) -> None:
    sc = Scenario(parameters={"des.pickup_capacity_per_day_per_100k": 0.02})
    model = compile_model(load_params(), select(counties(), county=COLLIER), sc, agreements=county_agreements)
    res = run_des(model, 1.0, seed=1, capacity=True)
    assert res.pickups_missed_capacity > 0
    assert res.events > res.counts["bookings"]
    events = {row[2] for row in res.ledger}
    assert events <= set(EVENTS) and "booking_prints" in events and "detainer" in events
