"""The shipped fitted parameters reproduce every fitted target within 10%."""

from __future__ import annotations

from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.calibrate import markdown_table, report
from sharemap.sim.params import load_params, load_targets


def test_fitted_targets_within_ten_percent(county_agreements: CountyAgreements) -> None:
    rows = report(load_params(), load_targets(), agreements=county_agreements)
    fitted = [r for r in rows if r.fitted]
    assert len(fitted) >= 5
    for r in fitted:
        assert abs(r.rel_error) <= 0.10, (r.target, r.value, r.model)
    assert "| target |" in markdown_table(rows)
