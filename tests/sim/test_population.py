"""SYNTHETIC booked people follow the compiled composition and are labelled SYNTHETIC."""

from __future__ import annotations

import numpy as np

from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.counties import counties, select
from sharemap.sim.model import CELL_STATUS, STATUSES
from sharemap.sim.params import load_params
from sharemap.sim.population import synthetic_bookings
from sharemap.sim.scenarios import compile_model


def test_population_composition_and_labels(county_agreements: CountyAgreements) -> None:
    model = compile_model(load_params(), select(counties(), county="48201"), agreements=county_agreements)
    people = synthetic_bookings(model, 4_000, seed=1)
    assert set(people.column("label").to_pylist()) == {"SYNTHETIC"}
    assert people.schema.metadata[b"synthetic"] == b"true"
    status = np.array(people.column("status").to_pylist())
    for s, name in enumerate(STATUSES):
        p = model.cell_p[0][s == CELL_STATUS].sum()
        obs = np.mean(status == name)
        assert abs(obs - p) <= 4 * np.sqrt(p * (1 - p) / 4_000) + 1e-3, name
    hisp = np.array(people.column("ethnicity").to_pylist()) == "hispanic"
    origins = np.array(people.column("name_origin").to_pylist())
    assert np.all(origins[hisp] == "es")
    assert people.column("synthetic_id")[0].as_py().startswith("SYNTHETIC-48201-")
