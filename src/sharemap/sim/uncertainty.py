"""Parameter uncertainty: draws of every parameter that has a plausible `range` in params/*.yaml.

A run with parameter draws gives replicate r its own draw (uniform within each range; seeded from the
run's seed, so the same seed gives the same draws), so its intervals combine Monte Carlo noise with the
spread of the assumed parameters. The free parameters stay at their fitted values (they are not refitted
per draw), and structural error (channels the model lacks) is in no interval: `SOURCES` says so in
every output that uses draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sharemap.sim.params import ParamSet

MONTE_CARLO = "Monte Carlo noise (binomial and Poisson draws of the kernel, one stream per replicate)"


def ranged(params: ParamSet) -> list[str]:
    """Keys of the parameters drawn: those with a `range` (free parameters keep their fitted value)."""
    return sorted(k for k, p in params.params.items() if p.range is not None and not p.free)


def draws(params: ParamSet, n: int, seed: int) -> list[dict[str, float]]:
    """`n` parameter draws, uniform within each range, reproducible from `seed`."""
    keys = ranged(params)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 - 1,)))
    out = []
    for _ in range(n):
        row = {}
        for k in keys:
            span = params.params[k].range
            assert span is not None
            row[k] = float(rng.uniform(span[0], span[1]))
        out.append(row)
    return out


def sources(params: ParamSet, with_draws: bool) -> list[str]:
    """What an interval includes, in words (printed with every interval)."""
    if not with_draws:
        return [MONTE_CARLO]
    names = ", ".join(ranged(params))
    return [
        MONTE_CARLO,
        "parameter uncertainty: one draw per replicate, uniform within the cited or assumed range of "
        + names,
    ]


NOT_INCLUDED = (
    "not included: refitting the free parameters for each draw, uncertainty of the published targets, and "
    "structural error (channels the model lacks: prisons, custody without a detainer, at-large arrests)"
)


def with_draw(base: Mapping[str, float], draw: Mapping[str, float]) -> dict[str, float]:
    """A scenario's own parameter overrides win over a draw (the scenario fixed them on purpose)."""
    return {**draw, **base}
