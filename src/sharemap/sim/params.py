"""Simulation parameters: dated, sourced values read from YAML (OpenFisca style).

Every parameter has a `value`, a `unit`, a `date` and either a `reference` (title and URL of the
published source) or an `assumption` that says why the value is a placeholder. A parameter without
either is refused, naming the file and key. Probabilities must lie in [0, 1]; other values must not be
negative.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sharemap.errors import DataError, InputError
from sharemap.safety import LIMITS, limit

PARAMS_DIR = Path(__file__).resolve().parent / "params"
PARAM_FILES = ("population.yaml", "encounters.yaml", "pipeline.yaml", "identity.yaml")
UNITS = {"probability", "multiplier", "count", "rate", "hours", "days"}


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Param:
    key: str
    value: float
    unit: str
    date: dt.date
    description: str
    file: str
    references: tuple[Reference, ...] = ()
    assumption: str | None = None
    free: bool = False
    bounds: tuple[float, float] | None = None
    note: str | None = None
    bounds_source: str | None = None  # the study that bounds a free parameter, or a named assumption
    range: tuple[float, float] | None = None  # plausible range drawn for parameter uncertainty
    range_source: str | None = None

    @property
    def sourced(self) -> bool:
        return bool(self.references)


def check_value(key: str, value: Any, unit: str, file: str | Path) -> float:
    """Validate one numeric value for its unit; raise InputError naming file and key."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"value {value!r} is not a number", file=file, field=key, expected="a number")
    v = float(value)
    if v != v:
        raise InputError("value is NaN", file=file, field=key, expected="a number")
    if math.isinf(v):
        raise InputError(f"value {v} is not finite", file=file, field=key, expected="a finite number")
    if unit == "probability" and not 0.0 <= v <= 1.0:
        raise InputError(f"probability {v} is outside [0, 1]", file=file, field=key, expected="0 <= p <= 1")
    if v < 0:
        raise InputError(f"negative value {v}", file=file, field=key, expected="a value >= 0")
    return v


def check_years(years: Any, field: str = "years") -> float:
    """A simulated period: a finite number of years above 0 and within the sim_years limit (the kernel's
    draws and the DES event count grow with it; NaN or inf would fail deep inside numpy or never end)."""
    cap = limit("sim_years")
    if (
        isinstance(years, bool)
        or not isinstance(years, int | float)
        or not math.isfinite(years)
        or years <= 0
    ):
        raise InputError(
            f"years must be a finite number above 0, not {years!r}",
            field=field,
            expected=f"0 < years <= {cap:g}",
        )
    if years > cap:
        raise InputError(
            f"{years:g} years is over the {cap:g}-year limit ({limit_env('sim_years')})",
            field=field,
            expected=f"0 < years <= {cap:g}",
        )
    return float(years)


def check_replicates(replicates: Any, field: str = "replicates") -> int:
    """A replicate count: a whole number from 1 to the sim_replicates limit."""
    cap = int(limit("sim_replicates"))
    if isinstance(replicates, bool) or not isinstance(replicates, int) or not 1 <= replicates <= cap:
        raise InputError(
            f"replicates must be a whole number from 1 to {cap} ({limit_env('sim_replicates')}), "
            f"not {replicates!r}",
            field=field,
            expected=f"1 <= replicates <= {cap}",
        )
    return replicates


def check_seed(seed: Any, field: str = "seed") -> int:
    """A seed for numpy's SeedSequence, which takes only whole numbers >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(
            f"seed must be a whole number >= 0, not {seed!r}", field=field, expected="0, 1, 2, ..."
        )
    return seed


def limit_env(name: str) -> str:
    """The environment variable that raises a limit (named in refusals so the user knows the way out)."""
    return next(lim.env for lim in LIMITS if lim.name == name)


def _parse_param(key: str, raw: Any, file: str) -> Param:
    if not isinstance(raw, Mapping):
        raise InputError(
            "parameter is not a mapping", file=file, field=key, expected="value, unit, date, reference"
        )
    unit = raw.get("unit")
    if unit not in UNITS:
        raise InputError(
            f"unknown unit {unit!r}", file=file, field=f"{key}.unit", expected=", ".join(sorted(UNITS))
        )
    if "value" not in raw:
        raise InputError("missing value", file=file, field=f"{key}.value", expected="a number")
    value = check_value(key, raw["value"], unit, file)
    date = raw.get("date")
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise InputError(
                f"bad date {date!r}", file=file, field=f"{key}.date", expected="YYYY-MM-DD"
            ) from exc
    if not isinstance(date, dt.date):
        raise DataError(
            "missing date", file=file, field=f"{key}.date", expected="the date the value applies to"
        )
    refs = []
    for i, ref in enumerate(raw.get("reference") or []):
        if not isinstance(ref, Mapping) or not ref.get("title") or not ref.get("url"):
            raise DataError(
                "reference needs a title and a url",
                file=file,
                field=f"{key}.reference[{i}]",
                expected="title, url",
            )
        refs.append(Reference(str(ref["title"]), str(ref["url"])))
    assumption = raw.get("assumption")
    if not refs and not (isinstance(assumption, str) and assumption.strip()):
        raise DataError(
            "parameter has no source",
            file=file,
            field=key,
            expected="a 'reference' (title, url) or an explicit 'assumption'",
        )
    bounds, bounds_source = _interval(raw, key, "bounds", value, file)
    if raw.get("free") and (bounds is None or bounds_source is None):
        raise DataError(
            "a free parameter needs bounds and their source",
            file=file,
            field=f"{key}.bounds",
            expected="bounds: [low, high] with bounds_reference (title, url) or bounds_assumption",
        )
    span, range_source = _interval(raw, key, "range", value, file)
    return Param(
        key=key,
        value=value,
        unit=unit,
        date=date,
        description=str(raw.get("description", "")),
        file=file,
        references=tuple(refs),
        assumption=assumption,
        free=bool(raw.get("free", False)),
        bounds=bounds,
        note=raw.get("note"),
        bounds_source=bounds_source,
        range=span,
        range_source=range_source,
    )


def _interval(
    raw: Mapping[str, Any], key: str, name: str, value: float, file: str
) -> tuple[tuple[float, float] | None, str | None]:
    """`bounds` (where a fit may go) or `range` (what parameter draws cover) with its source: a
    `<name>_reference` list (title, url, date) or a `<name>_assumption` that defends it in one line."""
    span = raw.get(name)
    if span is None:
        return None, None
    if (
        not isinstance(span, list)
        or len(span) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in span)
        or not span[0] <= span[1]
    ):
        raise DataError(
            f"bad {name} {span!r}", file=file, field=f"{key}.{name}", expected="[low, high] with low <= high"
        )
    refs = raw.get(f"{name}_reference") or []
    titles = [str(r.get("title")) for r in refs if isinstance(r, Mapping) and r.get("title") and r.get("url")]
    if refs and len(titles) != len(refs):
        raise DataError(
            f"{name} reference needs a title and a url", file=file, field=f"{key}.{name}_reference"
        )
    text = raw.get(f"{name}_assumption")
    if titles:
        source = "; ".join(titles)
    elif isinstance(text, str) and text.strip():
        source = f"assumption: {text.strip()}"
    else:
        raise DataError(
            f"{name} has no source",
            file=file,
            field=f"{key}.{name}",
            expected=f"{name}_reference (title, url) or {name}_assumption",
        )
    lo, hi = float(span[0]), float(span[1])
    if name == "range" and not lo <= value <= hi:
        raise DataError(f"value {value} is outside its range [{lo}, {hi}]", file=file, field=f"{key}.range")
    return (lo, hi), source


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("file not found", file=path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise InputError("top level is not a mapping", file=path)
    return data


def load_param_file(path: Path) -> dict[str, Param]:
    data = read_yaml(path)
    raw = data.get("parameters")
    if not isinstance(raw, Mapping):
        raise InputError("missing 'parameters' mapping", file=path, field="parameters")
    return {key: _parse_param(str(key), value, path.name) for key, value in raw.items()}


@dataclass(frozen=True)
class ParamSet:
    """All parameters by key; `overrides` records scenario or calibration changes."""

    params: Mapping[str, Param]
    overrides: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        if key in self.overrides:
            return self.overrides[key]
        try:
            return self.params[key].value
        except KeyError as exc:
            raise DataError(f"unknown parameter {key!r}", field=key) from exc

    def __contains__(self, key: object) -> bool:
        return key in self.params

    def with_values(self, values: Mapping[str, float], *, file: str | Path = "<override>") -> ParamSet:
        """A copy with some values replaced (each validated against its unit)."""
        new = dict(self.overrides)
        for key, value in values.items():
            if key not in self.params:
                raise InputError(
                    f"unknown parameter {key!r}", file=file, field=key, expected="a key of params/*.yaml"
                )
            new[key] = check_value(key, value, self.params[key].unit, file)
        return replace(self, overrides=new)

    def free(self) -> list[Param]:
        return [p for p in self.params.values() if p.free]

    def table(self) -> list[dict[str, Any]]:
        """One row per parameter with value and provenance (for docs and `sim params`)."""
        rows = []
        for key in sorted(self.params):
            p = self.params[key]
            rows.append(
                {
                    "key": key,
                    "value": self[key],
                    "unit": p.unit,
                    "date": p.date.isoformat(),
                    "source": "; ".join(r.title for r in p.references) if p.references else None,
                    "assumption": p.assumption,
                    "free": p.free,
                    "file": p.file,
                }
            )
        return rows


def load_params(paths: Iterable[Path] | None = None) -> ParamSet:
    """Read the shipped parameter files (or the given ones) into one ParamSet."""
    files = list(paths) if paths is not None else [PARAMS_DIR / name for name in PARAM_FILES]
    merged: dict[str, Param] = {}
    for path in files:
        for key, param in load_param_file(path).items():
            if key in merged:
                raise DataError(f"parameter defined twice (also in {merged[key].file})", file=path, field=key)
            merged[key] = param
    fitted = PARAMS_DIR / "fitted.yaml"
    overrides: dict[str, float] = {}
    if paths is None and fitted.exists():
        data = read_yaml(fitted)
        for key, value in (data.get("values") or {}).items():
            if key not in merged:
                raise DataError(f"fitted value for unknown parameter {key!r}", file=fitted, field=key)
            overrides[key] = check_value(key, value, merged[key].unit, fitted)
    return ParamSet(merged, overrides)


@dataclass(frozen=True)
class Target:
    key: str
    value: float
    description: str
    statistic: str
    period: str
    fit: bool
    parameter: str | None
    references: tuple[Reference, ...]


def load_targets(path: Path | None = None) -> list[Target]:
    path = path or PARAMS_DIR / "calibration.yaml"
    data = read_yaml(path)
    out = []
    for key, raw in (data.get("targets") or {}).items():
        refs = tuple(Reference(r["title"], r["url"]) for r in raw.get("reference") or [])
        if not refs:
            raise DataError(
                "target has no source", file=path, field=key, expected="reference with title and url"
            )
        out.append(
            Target(
                key=key,
                value=check_value(key, raw.get("value"), "count", path),
                description=str(raw.get("description", "")),
                statistic=str(raw.get("statistic", "")),
                period=str(raw.get("period", "")),
                fit=bool(raw.get("fit", False)),
                parameter=raw.get("parameter"),
                references=refs,
            )
        )
    return out
