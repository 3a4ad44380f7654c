"""Biometric 1:N search on SYNTHETIC templates (faiss exact and IVF)."""

from __future__ import annotations

import numpy as np

from sharemap.identity.biometric import Gallery, TemplateModel, run_experiment


def test_mates_are_found_and_rates_move_with_threshold() -> None:
    exp = run_experiment(3_000, 600, 600, kind="exact", seed=3)
    fnir = [r.fnir for r in exp.rates]
    fpir = [r.fpir for r in exp.rates]
    assert fnir == sorted(fnir), "FNIR must not fall as the threshold rises"
    assert fpir == sorted(fpir, reverse=True), "FPIR must not rise as the threshold rises"
    at = exp.at(0.72)
    assert at.fnir < 0.05
    assert at.fpir < 0.01


def test_ivf_agrees_with_exact_on_most_searches() -> None:
    model = TemplateModel()
    rng = np.random.default_rng(5)
    latent = model.identities(5_000, rng)
    gallery = model.capture(latent, rng)
    probes = model.capture(latent[:500], rng)
    _, exact_ids = Gallery(gallery, "exact").search(probes)
    _, ivf_ids = Gallery(gallery, "ivf", nprobe=16).search(probes)
    agree = np.mean(exact_ids[:, 0] == ivf_ids[:, 0])
    assert agree > 0.97


def test_same_seed_same_templates() -> None:
    a = run_experiment(1_000, 100, 100, seed=11)
    b = run_experiment(1_000, 100, 100, seed=11)
    assert np.array_equal(a.mated_scores, b.mated_scores)
    assert np.array_equal(a.nonmated_scores, b.nonmated_scores)
