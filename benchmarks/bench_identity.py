"""Benchmark for the biometric engine (run: .venv/bin/python benchmarks/bench_identity.py [--gallery N]).

Goal (issue 6): faiss IVF search >= 1,000 probes per second against a gallery of one million SYNTHETIC
templates at FNIR <= 1%, with the speed-up over the exact index reported. Also times the biographic
(name + date of birth) engine. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import faiss
import numpy as np

from sharemap.identity.biographic import BiographicIndex
from sharemap.identity.biometric import Gallery, TemplateModel, identification_rates
from sharemap.identity.errors import biographic_experiment


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gallery", type=int, default=1_000_000)
    ap.add_argument("--probes", type=int, default=5_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nprobe", type=int, nargs="+", default=[16, 64, 128])
    args = ap.parse_args()
    faiss.omp_set_num_threads(args.threads)
    model = TemplateModel()
    rng = np.random.default_rng(0)
    out: dict[str, object] = {
        "gallery": args.gallery,
        "probes": args.probes,
        "threads": args.threads,
        "dim": model.dim,
    }
    latent = model.identities(args.gallery, rng)
    templates = model.capture(latent, rng)
    mate = rng.choice(args.gallery, args.probes, replace=False)
    mated = model.capture(latent[mate], rng)
    nonmated = model.capture(model.identities(args.probes, rng), rng)
    thresholds = np.round(np.arange(0.6, 0.9, 0.02), 3)

    def measure(g: Gallery, label: str, n: int) -> float:
        t = time.perf_counter()
        ms, mi = g.search(mated[:n])
        ns, _ = g.search(nonmated[:n])
        rate = 2 * n / (time.perf_counter() - t)
        rates = identification_rates(ms[:, 0], mi[:, 0] == mate[:n], ns[:, 0], thresholds)
        ok = [r for r in rates if r.fpir <= 0.001]
        best = min(ok, key=lambda r: r.fnir) if ok else None
        out[label] = {
            "probes_per_s": round(rate),
            "fnir_at_fpir_0.1pct": best.fnir if best else None,
            "threshold": best.threshold if best else None,
            "rates": [{"threshold": r.threshold, "fnir": r.fnir, "fpir": r.fpir} for r in rates],
        }
        return rate

    t = time.perf_counter()
    ivf = Gallery(templates, "ivf")
    out["ivf_build_s"] = round(time.perf_counter() - t, 2)
    ivf_rates = {}
    for nprobe in args.nprobe:
        ivf.index.nprobe = nprobe  # type: ignore[attr-defined]
        ivf_rates[nprobe] = measure(ivf, f"ivf_nprobe_{nprobe}", args.probes)
    del ivf
    t = time.perf_counter()
    exact = Gallery(templates, "exact")
    out["exact_build_s"] = round(time.perf_counter() - t, 2)
    exact_rate = measure(exact, "exact", min(args.probes, 1_000))
    del exact
    out["ivf_speedup_over_exact"] = {str(k): round(v / exact_rate, 1) for k, v in ivf_rates.items()}
    gallery, mated_b, _ = biographic_experiment(20_000, 1_000, seed=0)
    t = time.perf_counter()
    idx = BiographicIndex(gallery)
    out["biographic_index_build_s_20k"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    for q in mated_b:
        idx.search(q)
    out["biographic_queries_per_s_20k"] = round(len(mated_b) / (time.perf_counter() - t))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
