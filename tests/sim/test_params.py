"""Parameters are dated and sourced (or named assumptions); bad values are refused naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharemap.errors import DataError, InputError
from sharemap.sim.params import load_param_file, load_params, load_targets

FIX = Path(__file__).parents[1] / "fixtures" / "sim"


def test_every_shipped_parameter_is_sourced_or_an_assumption() -> None:
    params = load_params()
    assert len(params.params) > 40
    for p in params.params.values():
        assert p.references or (p.assumption and p.assumption.strip()), p.key
        assert p.date is not None


def test_every_target_has_a_source_and_names_a_free_parameter() -> None:
    params = load_params()
    for t in load_targets():
        assert t.references
        if t.fit:
            assert t.parameter in params and params.params[t.parameter].free


def test_missing_source_is_refused() -> None:
    with pytest.raises(DataError) as e:
        load_param_file(FIX / "bad_params_nosource.yaml")
    assert (
        "bad_params_nosource.yaml" in str(e.value)
        and "some.rate" in str(e.value)
        and "no source" in str(e.value)
    )


def test_probability_above_one_and_negative_values_are_refused() -> None:
    params = load_params()
    with pytest.raises(InputError, match=r"pickup.after_hold.*outside \[0, 1\]"):
        params.with_values({"pickup.after_hold": 1.5}, file="x.yaml")
    with pytest.raises(InputError, match="negative"):
        params.with_values({"jail.mean_stay_days": -1}, file="x.yaml")
    with pytest.raises(InputError, match="unknown parameter"):
        params.with_values({"no.such.key": 1}, file="x.yaml")
