"""The shipped fit: every fitted value inside its cited bounds; a target it cannot reach is a model failure.

The earlier assertion (every fitted target within 10%) is replaced: issue 17 found that the fit met it
only with implausible values (people without status booked 10.6 times as often as other foreign-born
people, against Light et al., PNAS 2020). Within the cited bounds two targets are missed, and the fit
report must say so rather than accept them.
"""

from __future__ import annotations

import pytest

from sharemap.errors import DataError
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.calibrate import ACCEPT, markdown_table, report
from sharemap.sim.params import _parse_param, load_params, load_targets


def test_fitted_values_stay_inside_their_cited_bounds_and_misses_are_model_failures(
    county_agreements: CountyAgreements,
) -> None:
    params = load_params()
    rows = report(params, load_targets(), agreements=county_agreements)
    fitted = [r for r in rows if r.fitted]
    assert len(fitted) >= 5
    for r in fitted:
        assert r.parameter and r.bounds and r.bounds_source, r.target
        lo, hi = r.bounds
        assert lo <= params[r.parameter] <= hi, (r.parameter, params[r.parameter], r.bounds)
        if abs(r.rel_error) <= ACCEPT:
            assert r.verdict == "fitted"
        else:
            assert r.verdict.startswith("MODEL FAILURE"), (r.target, r.verdict)
    failures = {r.target for r in fitted if r.verdict.startswith("MODEL FAILURE")}
    assert "trac_fy2012_detainers" in failures  # needs the no-status booking multiplier above 1
    no_status = next(r for r in rows if r.target == "trac_fy2012_detainers")
    assert no_status.at_bound and "Light, He and Robey" in str(no_status.bounds_source)
    table = markdown_table(rows)
    assert "| parameter | fitted value | bounds | source of the bounds |" in table
    assert "MODEL FAILURE: needs booking.rate_multiplier.no_status outside its bounds [0.25, 1]" in table


def test_a_free_parameter_without_sourced_bounds_is_refused() -> None:
    raw = {"value": 0.5, "unit": "probability", "date": "2026-01-01", "free": True, "assumption": "x"}
    with pytest.raises(DataError, match="needs bounds and their source"):
        _parse_param("p", raw, "t.yaml")
    with pytest.raises(DataError, match="bounds has no source"):
        _parse_param("p", {**raw, "bounds": [0, 1]}, "t.yaml")
    ok = _parse_param("p", {**raw, "bounds": [0, 1], "bounds_assumption": "a probability"}, "t.yaml")
    assert ok.bounds == (0.0, 1.0) and ok.bounds_source == "assumption: a probability"
    with pytest.raises(DataError, match="outside its range"):
        _parse_param("p", {**raw, "free": False, "range": [0.6, 0.9], "range_assumption": "x"}, "t.yaml")
