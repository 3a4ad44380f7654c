"""Error models fitted from the matching engines, for the national (vectorised) run.

The kernel cannot run faiss or name comparisons for 7 million bookings a year in a few seconds, so it
uses rates measured by running the real engines on a SYNTHETIC population: FNIR/FPIR of the biometric
search at its operating threshold, and false-match / missed-match rates of name-and-date-of-birth checks
by name origin. `tests/identity/test_errors.py` checks that a fitted model and a fresh run of the engines
on a new SYNTHETIC population agree within sampling tolerance.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

import numpy as np

from sharemap.identity.biographic import DEFAULT_THRESHOLD, BiographicIndex, Record
from sharemap.identity.biometric import IndexKind, TemplateModel, run_experiment
from sharemap.identity.names import ORIGINS, canonical, generate, variant


@dataclass(frozen=True)
class BiometricErrorModel:
    threshold: float
    fnir: float
    fpir: float
    gallery_size: int
    kind: str
    n_mated: int
    n_nonmated: int
    seed: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def fit_biometric(
    gallery_size: int = 20_000,
    n_probes: int = 4_000,
    *,
    threshold: float = 0.72,
    kind: IndexKind = "ivf",
    seed: int = 0,
    model: TemplateModel | None = None,
) -> BiometricErrorModel:
    """Run the faiss engine on SYNTHETIC templates and keep FNIR/FPIR at `threshold`."""
    exp = run_experiment(gallery_size, n_probes, n_probes, kind=kind, seed=seed, model=model)
    r = exp.at(threshold)
    return BiometricErrorModel(threshold, r.fnir, r.fpir, gallery_size, kind, n_probes, n_probes, seed)


@dataclass(frozen=True)
class BiographicErrorModel:
    """Per name origin: fnr (a person in the gallery is not found) and fpr (a person not in it is matched)."""

    threshold: float
    gallery_size: int
    fnr: dict[str, float]
    fpr: dict[str, float]
    n_queries: dict[str, int]
    seed: int

    def fpr_at(self, origin: str, gallery_size: int) -> float:
        """False-match rate extrapolated to another gallery size (independent collisions per record)."""
        p = self.fpr[origin]
        if p <= 0:
            return 0.0
        lam = -math.log(1 - min(p, 0.999999)) / self.gallery_size
        return 1 - math.exp(-lam * gallery_size)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def synthetic_records(
    n: int, rng: np.random.Generator, origin_p: dict[str, float] | None = None, start_id: int = 0
) -> list[Record]:
    """SYNTHETIC people: canonical name, date of birth (ages 18-70), sex."""
    origin_p = origin_p or {"en": 0.4, "es": 0.4, "zh": 0.1, "ru": 0.1}
    keys = list(origin_p)
    origins = rng.choice(np.array(keys), size=n, p=np.array([origin_p[k] for k in keys]))
    names = generate(origins, rng)
    base = dt.date(1956, 1, 1).toordinal()
    days = rng.integers(0, 52 * 365, n)
    sexes = rng.choice(np.array(["F", "M"]), n)
    return [
        Record(start_id + i, canonical(names[i]), dt.date.fromordinal(base + int(days[i])), str(sexes[i]))
        for i in range(n)
    ]


def booking_record(
    rec: Record, rng: np.random.Generator, p_variant: float = 0.5, p_dob_error: float = 0.03
) -> Record:
    """How a jail booking writes the same SYNTHETIC person: name variant, occasional date-of-birth slip."""
    dob = rec.dob
    if rng.random() < p_dob_error:
        try:
            dob = dt.date(dob.year, dob.day, dob.month) if dob.day <= 12 else dob.replace(year=dob.year + 1)
        except ValueError:
            dob = dob.replace(day=28)
    return Record(rec.record_id, variant(rec.name, rng, p_variant), dob, rec.sex)


def measure_biographic(
    gallery: list[Record],
    mated: list[Record],
    nonmated: list[Record],
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    """Run name checks; return (fnr, fpr, n) by origin. Mated queries carry the gallery record id."""
    index = BiographicIndex(gallery)
    miss: dict[str, list[bool]] = {o: [] for o in ORIGINS}
    false: dict[str, list[bool]] = {o: [] for o in ORIGINS}
    for q in mated:
        m = index.search(q, threshold)
        miss[q.name.origin].append(not (m is not None and m.is_match and m.record_id == q.record_id))
    for q in nonmated:
        m = index.search(q, threshold)
        false[q.name.origin].append(m is not None and m.is_match)
    fnr = {o: float(np.mean(v)) if v else 0.0 for o, v in miss.items()}
    fpr = {o: float(np.mean(v)) if v else 0.0 for o, v in false.items()}
    n = {o: len(false[o]) for o in ORIGINS}
    return fnr, fpr, n


def biographic_experiment(
    gallery_size: int, n_queries: int, seed: int
) -> tuple[list[Record], list[Record], list[Record]]:
    """A SYNTHETIC gallery plus mated (booking variants of gallery people) and non-mated queries."""
    rng = np.random.default_rng(seed)
    gallery = synthetic_records(gallery_size, rng)
    pick = rng.choice(gallery_size, size=n_queries, replace=False)
    mated = [booking_record(gallery[i], rng) for i in pick]
    outsiders = synthetic_records(n_queries, rng, start_id=gallery_size)
    nonmated = [booking_record(r, rng) for r in outsiders]
    return gallery, mated, nonmated


def fit_biographic(
    gallery_size: int = 20_000, n_queries: int = 2_000, *, seed: int = 0, threshold: float = DEFAULT_THRESHOLD
) -> BiographicErrorModel:
    gallery, mated, nonmated = biographic_experiment(gallery_size, n_queries, seed)
    fnr, fpr, n = measure_biographic(gallery, mated, nonmated, threshold)
    return BiographicErrorModel(threshold, gallery_size, fnr, fpr, n, seed)
