"""Scenario files: good ones compile, bad ones are refused with the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.errors import InputError
from sharemap.sim.counties import counties, select
from sharemap.sim.params import PARAMS_DIR, load_params
from sharemap.sim.scenarios import compile_model, load_scenario

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
def test_bad_scenarios_are_refused(name: str, key: str, reason: str) -> None:
    with pytest.raises(InputError) as e:
        sc = load_scenario(FIX / name, KNOWN)
        compile_model(load_params(), select(counties(), county="53053"), sc)
    text = str(e.value)
    assert name in text and key in text and reason in text, text


def test_good_scenario_changes_the_jail_response() -> None:
    sc = load_scenario(FIX / "good.yaml", KNOWN)
    pierce = select(counties(), county="53053")
    base = compile_model(load_params(), pierce)
    changed = compile_model(load_params(), pierce, sc)
    assert base.honour[0] == 0.0  # Washington forbids holds (RCW 10.93.160)
    assert changed.honour[0] == 1.0 and changed.jem[0]


def test_shipped_scenarios_parse() -> None:
    for path in sorted((PARAMS_DIR.parent / "scenarios").glob("*.yaml")):
        load_scenario(path, KNOWN)
