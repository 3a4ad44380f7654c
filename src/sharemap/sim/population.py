"""SYNTHETIC people booked into a county's jail: status, ethnicity, birthplace, prior arrests, names.

Drawn from the same compiled model the kernel and the SimPy model use (county composition from the ACS /
ERS county file, status shares and every other figure from params/*.yaml), so a sample of SYNTHETIC
people has the composition the pipeline simulates. Names come from Faker's locale lists (Spanish names
for Hispanic people; English, Chinese-pinyin and Russian-transliterated names for others, in the
assumed mix of sim/identity_params.ORIGIN_MIX); every row is labelled SYNTHETIC.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from sharemap.identity.names import canonical, generate, variant
from sharemap.sim.birthplace import GROUPS as BIRTHPLACES
from sharemap.sim.identity_params import ORIGIN_MIX
from sharemap.sim.model import CELL_ETH, CELL_PRIOR, CELL_STATUS, ETHNICITIES, N_CELLS, STATUSES, Model


def synthetic_bookings(model: Model, n: int, seed: int = 0) -> pa.Table:
    """`n` SYNTHETIC booked people for the single county in `model` (one row each)."""
    if len(model) != 1:
        raise ValueError("synthetic_bookings takes a model of one county")
    rng = np.random.default_rng(seed)
    cell = rng.choice(N_CELLS, size=n, p=model.cell_p[0])
    status = CELL_STATUS[cell]
    eth = CELL_ETH[cell]
    prior = CELL_PRIOR[cell] == 0
    ident = rng.random(n) < model.enrol[status]
    origins = np.empty(n, dtype=object)
    hisp = eth == 0
    origins[hisp] = "es"
    mix = ORIGIN_MIX["not_hispanic"]
    origins[~hisp] = rng.choice(np.array(list(mix)), size=int((~hisp).sum()), p=np.array(list(mix.values())))
    names = generate(origins.astype(str), rng)
    record = [canonical(x) for x in names]
    booked = [variant(x, rng) for x in record]
    base = dt.date(1956, 1, 1).toordinal()
    dob = [dt.date.fromordinal(base + int(d)) for d in rng.integers(0, 52 * 365, n)]
    birthplace = _birthplaces(model, cell, rng)  # drawn last: the other columns keep their streams
    table = pa.table(
        {
            "synthetic_id": [f"SYNTHETIC-{model.fips[0]}-{i}" for i in range(n)],
            "county_fips": [str(model.fips[0])] * n,
            "status": [STATUSES[s] for s in status],
            "foreign_born": (status > 0).tolist(),
            "citizen": (status <= 2).tolist(),
            "ethnicity": [ETHNICITIES[e] for e in eth],
            "birthplace": birthplace,
            "prior_arrest": prior.tolist(),
            "in_ngi": prior.tolist(),
            "in_ident": ident.tolist(),
            "name_origin": origins.astype(str).tolist(),
            "name_as_booked": [x.full for x in booked],
            "name_in_federal_record": [x.full for x in record],
            "date_of_birth": dob,
            "label": ["SYNTHETIC"] * n,
        }
    )
    return table.replace_schema_metadata({"synthetic": "true", "note": "SYNTHETIC people; no real person"})


def _birthplaces(model: Model, cell: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One birthplace group per person from P(birthplace | cell) in the county's state."""
    if model.bp_index is None or model.bp_table is None:
        return ["not modelled"] * len(cell)
    cum = np.cumsum(model.bp_table[model.bp_index[0]][cell], axis=1)
    u = rng.random(len(cell))[:, None] * cum[:, -1:]
    idx = np.minimum((u >= cum).sum(axis=1), len(BIRTHPLACES) - 1)
    return [BIRTHPLACES[i] for i in idx]
