"""Write the identity engines' fitted error rates as dated parameters (sim/params/identity.yaml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from sharemap.identity.errors import BiographicErrorModel, BiometricErrorModel
from sharemap.sim.params import PARAMS_DIR

# which name origins stand for each ethnicity in the kernel (an assumption: Hispanic names are drawn from
# Faker es_MX; other foreign-born names from en_US, zh_CN and ru_RU in these proportions)
ORIGIN_MIX = {"hispanic": {"es": 1.0}, "not_hispanic": {"en": 0.6, "zh": 0.2, "ru": 0.2}}


def _param(description: str, value: float, how: str) -> dict[str, Any]:
    return {
        "description": description,
        "unit": "probability",
        "value": round(float(value), 6),
        "date": dt.date.today().isoformat(),
        "assumption": how,
    }


def write_identity_params(
    bio: BiometricErrorModel, bg: BiographicErrorModel, path: Path | None = None
) -> Path:
    path = path or PARAMS_DIR / "identity.yaml"
    how_bio = (
        f"Measured, not published: sharemap.identity.biometric ({bio.kind} index) on a SYNTHETIC gallery of "
        f"{bio.gallery_size:,} templates, {bio.n_mated:,} mated and {bio.n_nonmated:,} non-mated probes, "
        "threshold "
        f"{bio.threshold}, seed {bio.seed} (`sharemap sim fit-errors --write`)."
    )
    how_bg = (
        "Measured, not published: sharemap.identity.biographic on a SYNTHETIC gallery of "
        f"{bg.gallery_size:,} records, threshold {bg.threshold} bits, seed {bg.seed}; "
        f"origin mix per ethnicity {ORIGIN_MIX} is an assumption."
    )

    def mix(rates: dict[str, float], eth: str) -> float:
        return sum(w * rates[o] for o, w in ORIGIN_MIX[eth].items())

    params = {
        "identity.biometric.fnir": _param(
            "False negative identification rate of the IDENT search at its threshold.", bio.fnir, how_bio
        ),
        "identity.biometric.fpir": _param(
            "False positive identification rate of the IDENT search at its threshold.", bio.fpir, how_bio
        ),
        "identity.name.fnr.hispanic": _param(
            "Name-and-DOB check misses a person who is in the gallery (Hispanic names).",
            mix(bg.fnr, "hispanic"),
            how_bg,
        ),
        "identity.name.fnr.not_hispanic": _param(
            "Name-and-DOB check misses a person who is in the gallery (other names).",
            mix(bg.fnr, "not_hispanic"),
            how_bg,
        ),
        "identity.name.fpr.hispanic": _param(
            "Name-and-DOB check matches a person who is not in the gallery (Hispanic names).",
            mix(bg.fpr, "hispanic"),
            how_bg,
        ),
        "identity.name.fpr.not_hispanic": _param(
            "Name-and-DOB check matches a person who is not in the gallery (other names).",
            mix(bg.fpr, "not_hispanic"),
            how_bg,
        ),
    }
    doc = {
        "meta": {"title": "Identity-engine error rates fitted on SYNTHETIC data", "file": "identity.yaml"},
        "parameters": params,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return path
