"""Scenario files: good ones compile, bad ones are refused with the file, the key and the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sharemap.errors import InputError
from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import counties, select
from sharemap.sim.params import PARAMS_DIR, load_params
from sharemap.sim.scenarios import Scenario, compile_model, load_scenario, on_date

FIX = Path(__file__).parents[1] / "fixtures" / "sim"
KNOWN = set(map(str, counties().fips))


@pytest.mark.parametrize(
    ("name", "key", "reason"),
    [
        ("bad_lever.yaml", "levers.detainer_magic", "unknown lever"),
        ("bad_county.yaml", "levers.agreements.counties.99999", "unknown county"),
        ("bad_negative.yaml", "levers.pickup_capacity", "negative"),
        ("bad_probability.yaml", "pickup.after_hold", "outside [0, 1]"),
        ("bad_source.yaml", "parameters.pickup.after_hold", "no source"),
        ("bad_state.yaml", "levers.state_law.XX", "unknown state"),
    ],
)
def test_bad_scenarios_are_refused(
    name: str, key: str, reason: str, county_agreements: CountyAgreements
) -> None:
    with pytest.raises(InputError) as e:
        sc = load_scenario(FIX / name, KNOWN)
        compile_model(load_params(), select(counties(), county="53053"), sc, agreements=county_agreements)
    text = str(e.value)
    assert name in text and key in text and reason in text, text


def test_good_scenario_changes_the_jail_response(county_agreements: CountyAgreements) -> None:
    sc = load_scenario(FIX / "good.yaml", KNOWN)
    pierce = select(counties(), county="53053")
    base = compile_model(load_params(), pierce, agreements=county_agreements)
    changed = compile_model(load_params(), pierce, sc, agreements=county_agreements)
    assert base.honour[0] == 0.0  # Washington forbids holds (RCW 10.93.160)
    assert changed.honour[0] == 1.0 and changed.jem[0]


def test_shipped_scenarios_parse() -> None:
    for path in sorted((PARAMS_DIR.parent / "scenarios").glob("*.yaml")):
        load_scenario(path, KNOWN)


def test_ledger_agreements_are_required_and_a_missing_date_is_taken_from_the_list(
    county_agreements: CountyAgreements,
) -> None:
    pierce = select(counties(), county="53053")
    with pytest.raises(InputError, match="agreements come from the ledger"):
        compile_model(load_params(), pierce, Scenario(date=dt.date(2025, 12, 31)))
    with pytest.raises(InputError, match="no date"):
        compile_model(load_params(), pierce, Scenario(agreements_source="none"))
    assert on_date(Scenario(), county_agreements).date == county_agreements.list_date
    assert on_date(Scenario(date=dt.date(2020, 1, 1)), county_agreements).date == dt.date(2020, 1, 1)


@pytest.mark.parametrize(
    ("levers", "code"),
    [
        ({"state_law": {"PR": "required"}}, "PR"),
        ({"state_law": {"GU": "prohibited"}}, "GU"),
        ({"dmv_access": {"VI": False}}, "VI"),
        ({"agreements": {"states": {"PR": ["JEM"]}}}, "PR"),
    ],
)
def test_a_lever_for_a_territory_without_counties_is_refused_with_the_reason(levers: dict, code: str) -> None:
    """Issue 14: `state_law: {PR: required}` used to be accepted and change nothing."""
    from sharemap.sim.scenarios import parse_scenario

    with pytest.raises(InputError) as e:
        parse_scenario({"levers": levers}, "t.yaml", KNOWN)
    assert f"{code} has no counties in the simulator's county table" in str(e.value)
    assert "would do nothing" in str(e.value)
