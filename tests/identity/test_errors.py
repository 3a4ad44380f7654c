"""The error models used by the national run agree with the engines on a fresh SYNTHETIC population."""

from __future__ import annotations

import math

from sharemap.identity.biometric import run_experiment
from sharemap.identity.errors import biographic_experiment, fit_biographic, fit_biometric, measure_biographic


def within(p_model: float, p_obs: float, n: int, z: float = 4.0) -> bool:
    p = max(p_model, 1.0 / n)
    return abs(p_model - p_obs) <= z * math.sqrt(p * (1 - p) / n) + 1e-9


def test_biometric_error_model_agrees_with_the_engine() -> None:
    model = fit_biometric(4_000, 1_500, seed=1)
    fresh = run_experiment(4_000, 1_500, 1_500, kind="ivf", seed=2).at(model.threshold)
    assert within(model.fnir, fresh.fnir, 1_500)
    assert within(model.fpir, fresh.fpir, 1_500)


def test_biographic_error_model_agrees_with_the_engine() -> None:
    model = fit_biographic(3_000, 600, seed=1)
    gallery, mated, nonmated = biographic_experiment(3_000, 600, seed=2)
    fnr, fpr, n = measure_biographic(gallery, mated, nonmated, model.threshold)
    for origin in ("en", "es"):
        assert within(model.fnr[origin], fnr[origin], n[origin]), origin
        assert within(model.fpr[origin], fpr[origin], n[origin]), origin


def test_false_match_rate_grows_with_gallery_size() -> None:
    model = fit_biographic(2_000, 400, seed=3)
    for origin, p in model.fpr.items():
        if p > 0:
            assert model.fpr_at(origin, 20_000) > p
