"""Biometric 1:N search over SYNTHETIC fingerprint templates with faiss (exact and IVF indexes).

A template is a unit vector. Each synthetic identity has a latent vector; every capture of that identity
adds noise whose size varies by capture (a low-quality print has more noise), so genuine scores spread
out and some mated searches fail. Scores are cosine similarities (inner product of unit vectors).

FNIR (false negative identification rate): share of mated searches whose mate is not returned at rank 1
with a score at or above the threshold. FPIR (false positive identification rate): share of non-mated
searches whose best score is at or above the threshold. Both follow ISO/IEC 19795-1 and NIST FpVTE usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import faiss
import numpy as np

IndexKind = Literal["exact", "ivf"]


@dataclass(frozen=True)
class TemplateModel:
    """How SYNTHETIC templates are made.

    A latent identity is a mix of one of `classes` pattern-class centroids (like the ridge-pattern
    classes that make real fingerprints cluster) and an individual part; each capture adds noise whose
    size is lognormal (median `noise_median`, log-spread `noise_sigma`), so a few captures are poor.
    """

    dim: int = 64
    classes: int = 4096
    class_weight: float = 0.6
    noise_median: float = 0.25
    noise_sigma: float = 0.4
    centroid_seed: int = 20261124

    def centroids(self) -> np.ndarray:
        return _centroids(self.classes, self.dim, self.centroid_seed)

    def identities(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Latent identity vectors (n, dim), float32, unit length."""
        cls = rng.integers(0, self.classes, n)
        own = _unit(rng.standard_normal((n, self.dim), dtype=np.float32))
        a = np.float32(self.class_weight)
        return _unit(a * self.centroids()[cls] + np.sqrt(np.float32(1) - a * a) * own)

    def capture(self, latent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One capture (template) of each identity: latent + noise of a random quality, normalised."""
        n = latent.shape[0]
        size = (self.noise_median * np.exp(self.noise_sigma * rng.standard_normal(n))).astype(np.float32)
        noise = rng.standard_normal(latent.shape, dtype=np.float32) / np.sqrt(np.float32(self.dim))
        return _unit(latent + noise * size[:, None])


@lru_cache(maxsize=4)
def _centroids(classes: int, dim: int, seed: int) -> np.ndarray:
    return _unit(np.random.default_rng(seed).standard_normal((classes, dim), dtype=np.float32))


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True) + np.float32(1e-12)
    return x


class Gallery:
    """A 1:N gallery (for example a SYNTHETIC IDENT) searchable exactly or through an IVF index."""

    def __init__(
        self,
        templates: np.ndarray,
        kind: IndexKind = "exact",
        nlist: int | None = None,
        nprobe: int | None = None,
        train_size: int = 100_000,
        seed: int = 0,
    ) -> None:
        self.kind = kind
        self.size, self.dim = templates.shape
        x = _unit(templates)
        if kind == "exact":
            self.index: faiss.Index = faiss.IndexFlatIP(self.dim)
        elif kind == "ivf":
            nlist = nlist or max(8, min(int(4 * np.sqrt(self.size)), self.size // 40))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            sample = x if self.size <= train_size else x[rng.choice(self.size, train_size, replace=False)]
            index.cp.seed = seed
            index.train(sample)
            # default: search 1/32 of the lists (at least 16); 128 of 4,000 lists for a 1M gallery
            index.nprobe = nprobe or max(16, nlist // 32)
            self.index = index
            self._quantizer = quantizer  # keep a reference alive
        else:  # pragma: no cover - guarded by the Literal type
            raise ValueError(kind)
        self.index.add(x)

    def search(self, probes: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Top-k scores and gallery positions for each probe."""
        scores, ids = self.index.search(_unit(probes), k)
        return scores, ids


@dataclass(frozen=True)
class Rates:
    threshold: float
    fnir: float
    fpir: float


def identification_rates(
    mated_scores: np.ndarray,
    mated_correct: np.ndarray,
    nonmated_scores: np.ndarray,
    thresholds: np.ndarray,
) -> list[Rates]:
    """FNIR and FPIR at each threshold from rank-1 results of mated and non-mated searches."""
    out = []
    for t in thresholds:
        fnir = float(np.mean(~(mated_correct & (mated_scores >= t))))
        fpir = float(np.mean(nonmated_scores >= t))
        out.append(Rates(float(t), fnir, fpir))
    return out


@dataclass(frozen=True)
class Experiment:
    """Result of a synthetic 1:N experiment; `rates` over thresholds for the exact or IVF index."""

    gallery_size: int
    kind: str
    rates: list[Rates]
    mated_scores: np.ndarray
    mated_correct: np.ndarray
    nonmated_scores: np.ndarray

    def at(self, threshold: float) -> Rates:
        return identification_rates(
            self.mated_scores, self.mated_correct, self.nonmated_scores, np.array([threshold])
        )[0]


def run_experiment(
    gallery_size: int,
    n_mated: int,
    n_nonmated: int,
    *,
    kind: IndexKind = "exact",
    model: TemplateModel | None = None,
    thresholds: np.ndarray | None = None,
    seed: int = 0,
    nprobe: int | None = None,
    nlist: int | None = None,
) -> Experiment:
    """Enrol `gallery_size` SYNTHETIC identities, search mated and non-mated probes, measure FNIR/FPIR."""
    model = model or TemplateModel()
    rng = np.random.default_rng(seed)
    latent = model.identities(gallery_size, rng)
    gallery = Gallery(model.capture(latent, rng), kind=kind, nprobe=nprobe, nlist=nlist, seed=seed)
    mate = rng.choice(gallery_size, size=n_mated, replace=n_mated > gallery_size)
    mated_scores, mated_ids = gallery.search(model.capture(latent[mate], rng))
    strangers = model.identities(n_nonmated, rng)
    non_scores, _ = gallery.search(model.capture(strangers, rng))
    thresholds = thresholds if thresholds is not None else np.round(np.arange(0.50, 0.95, 0.025), 3)
    ms, mc, ns = mated_scores[:, 0], mated_ids[:, 0] == mate, non_scores[:, 0]
    return Experiment(gallery_size, kind, identification_rates(ms, mc, ns, thresholds), ms, mc, ns)
