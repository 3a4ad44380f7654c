"""The result of a simulation run: every replicate's counts, merged over county batches.

Its own module so that the run (which makes it) and the summary (which reads it) both import it and
neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharemap.sim.agreements import CountyAgreements
from sharemap.sim.scenarios import Scenario
from sharemap.sim.uncertainty import MONTE_CARLO


@dataclass
class RunResult:
    """All replicates, merged over county batches: arrays with a leading replicate axis."""

    scenario: Scenario
    fips: np.ndarray
    county: np.ndarray  # (R, C, stages)
    cells: np.ndarray  # (R, cell stages, cells)
    latency_hist: np.ndarray  # (R, latencies, bins)
    years: float
    seed: int
    selection: str
    agreements: CountyAgreements | None = None
    interval_includes: tuple[str, ...] = (MONTE_CARLO,)
    birthplace: np.ndarray | None = None  # (R, cell stages, cells, birthplace groups)

    @property
    def replicates(self) -> int:
        return self.county.shape[0]
