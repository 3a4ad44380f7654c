"""Birthplace jointly with status and ethnicity: the shares of `params/birthplace.yaml` as arrays.

The kernel's cells are (status, ethnicity, prior arrest); birthplace is not a cell dimension (that would
multiply the kernel's work tenfold). Instead every cell's count is split over birthplace groups by
P(birthplace | status, ethnicity, state), which this module builds from sourced figures: the national
birthplace shares of unauthorized immigrants (humanitarian and no-status people) and of lawful immigrants
(foreign born minus unauthorized, per group), a state's own share of Mexicans among its unauthorized
immigrants where one is published, and each group's Hispanic share. US-born people are born in the US.
Everything here describes SYNTHETIC people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sharemap.errors import DataError
from sharemap.sim.model import CELL_ETH, CELL_STATUS, N_CELLS, STATUSES
from sharemap.sim.params import PARAMS_DIR, read_yaml

BIRTHPLACE_FILE = PARAMS_DIR / "birthplace.yaml"
GROUPS = (
    "us",
    "mexico",
    "guatemala",
    "honduras",
    "el_salvador",
    "other_lac",
    "asia",
    "europe",
    "africa",
    "other",
)
FOREIGN = GROUPS[1:]
UNAUTHORIZED_STATUSES = frozenset({"humanitarian", "no_status"})
NATIONAL_FALLBACK = "national fallback"
# the sources behind the national shares every state starts from (keys of `sources` in the file)
NATIONAL_SOURCES = (
    "mpi_unauth_2019",
    "mpi_unauth_2018_total",
    "pew_fb_2018",
    "mpi_central_america_2021",
    "pew_northern_triangle_2017",
)


@dataclass(frozen=True)
class Figure:
    """One sourced (or assumed) number with where it came from."""

    value: float
    source: str | None  # a key of `sources`, or None for an assumption
    note: str


@dataclass(frozen=True)
class BirthplaceTable:
    """The birthplace shares the simulator uses, per status class and state, with their sources."""

    sources: Mapping[str, Mapping[str, str]]
    unauthorized: np.ndarray  # (len(FOREIGN),) national shares, sum 1
    lawful: np.ndarray  # (len(FOREIGN),) national shares, sum 1
    hispanic: np.ndarray  # (len(FOREIGN),) P(Hispanic | group)
    mexico_by_state: Mapping[str, Figure]  # states with a sourced share of Mexicans among the unauthorized
    _tables: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def unauthorized_in(self, state: str) -> np.ndarray:
        """Unauthorized shares for a state: its sourced Mexico share, the rest national rescaled."""
        fig = self.mexico_by_state.get(str(state))
        if fig is None:
            return self.unauthorized
        out = self.unauthorized.copy()
        rest = 1.0 - out[0]
        out[1:] *= (1.0 - fig.value) / rest
        out[0] = fig.value
        return out

    def source_of(self, state: str) -> str:
        """Which figures a state's split rests on, in one line."""
        fig = self.mexico_by_state.get(str(state))
        if fig is None:
            national = f"{self._title('mpi_unauth_2019')}; {self._title('pew_fb_2018')}"
            return f"{state}: {NATIONAL_FALLBACK}, national shares ({national})"
        return (
            f"{state}: Mexicans' share of unauthorized immigrants {fig.value:.0%} "
            f"({self._title(fig.source)}), other groups national shares rescaled; "
            f"lawful immigrants: {NATIONAL_FALLBACK}"
        )

    def _title(self, key: str | None) -> str:
        src = self.sources.get(key or "", {})
        return f"{src.get('title', key)}, {src.get('url', '')}, {src.get('date', '')}"

    def cell_shares(self, state: str) -> np.ndarray:
        """(N_CELLS, len(GROUPS)): P(birthplace | the cell's status and ethnicity) in `state` (kept once
        built: the model is compiled per replicate when parameters are drawn, and the table is fixed)."""
        state = str(state)
        if state not in self._tables:
            self._tables[state] = self._cell_shares(state)
        return self._tables[state]

    def _cell_shares(self, state: str) -> np.ndarray:
        unauth = self.unauthorized_in(state)
        out = np.zeros((N_CELLS, len(GROUPS)))
        for k in range(N_CELLS):
            status = STATUSES[CELL_STATUS[k]]
            if status == "us_born":
                out[k, 0] = 1.0
                continue
            base = unauth if status in UNAUTHORIZED_STATUSES else self.lawful
            eth = self.hispanic if CELL_ETH[k] == 0 else 1.0 - self.hispanic
            w = base * eth
            out[k, 1:] = w / w.sum() if w.sum() > 0 else base
        return out

    def county_shares(self, states: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For counties in the given states: an index per county (C,) into one table per distinct state
        (S, N_CELLS, len(GROUPS)); the kernel sums counts by state before splitting them."""
        codes, first, inverse = np.unique(
            np.asarray(states, dtype=str), return_index=True, return_inverse=True
        )
        order = np.argsort(first)  # number states in order of appearance: FIPS order stays sorted
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        index = rank[inverse]
        tables = [self.cell_shares(str(s)) for s in codes[order]]
        empty = np.zeros((0, N_CELLS, len(GROUPS)))
        return index.astype(np.int64).reshape(-1), (np.stack(tables) if tables else empty)


def _figure(raw: Any, where: str, sources: Mapping[str, Any], file: Path) -> Figure:
    """A value (`value`, `sum` of a list or `ratio` [a, b]) with a known source or a stated assumption."""
    if not isinstance(raw, Mapping):
        raise DataError("not a mapping", file=file, field=where, expected="value/sum/ratio with source")
    if "value" in raw:
        value = float(raw["value"])
    elif "sum" in raw:
        value = float(sum(float(x) for x in raw["sum"]))
    elif "ratio" in raw and len(raw["ratio"]) == 2 and float(raw["ratio"][1]):
        value = float(raw["ratio"][0]) / float(raw["ratio"][1])
    else:
        raise DataError("no number", file=file, field=where, expected="value, sum: [...] or ratio: [a, b]")
    source = raw.get("source")
    if source is None and not raw.get("assumption"):
        raise DataError(
            "no source and no assumption", file=file, field=where, expected="source or assumption"
        )
    if source is not None and source not in sources:
        raise DataError(f"unknown source {source!r}", file=file, field=where, expected="a key of sources")
    note = str(raw.get("derivation") or raw.get("note") or raw.get("assumption") or "")
    return Figure(value, None if source is None else str(source), note)


def _groups(data: Mapping[str, Any], key: str, sources: Mapping[str, Any], file: Path) -> np.ndarray:
    raw = data.get(key)
    if not isinstance(raw, Mapping) or set(raw) != set(FOREIGN):
        raise DataError(
            "not one entry per foreign birthplace group", file=file, field=key, expected=", ".join(FOREIGN)
        )
    return np.array([_figure(raw[g], f"{key}.{g}", sources, file).value for g in FOREIGN])


def parse(data: Mapping[str, Any], file: Path) -> BirthplaceTable:
    """Check and derive the table (shares sum to 1, every figure sourced or a stated assumption)."""
    if tuple(data.get("groups") or ()) != GROUPS:
        raise DataError(
            "groups differ from the simulator's", file=file, field="groups", expected=", ".join(GROUPS)
        )
    sources = data.get("sources")
    if not isinstance(sources, Mapping) or any(
        not isinstance(v, Mapping) or not v.get("title") or not v.get("url") or not v.get("date")
        for v in sources.values()
    ):
        raise DataError("every source needs title, url and date", file=file, field="sources")
    unauth = _groups(data, "unauthorized_national", sources, file)
    if abs(unauth.sum() - 1) > 1e-6 or (unauth < 0).any():
        raise DataError(
            f"unauthorized shares sum to {unauth.sum():.4f}", file=file, field="unauthorized_national"
        )
    fb = _groups(data, "foreign_born_national", sources, file)
    total = _figure(data.get("unauthorized_total"), "unauthorized_total", sources, file).value
    lawful_counts = fb - total * unauth
    if (lawful_counts <= 0).any():
        raise DataError("foreign born minus unauthorized is not positive in every group", file=file)
    hisp = _groups(data, "hispanic_share_by_group", sources, file)
    if ((hisp < 0) | (hisp > 1)).any():
        raise DataError("Hispanic shares outside [0, 1]", file=file, field="hispanic_share_by_group")
    states_raw = data.get("unauthorized_mexico_share_by_state") or {}
    states = {
        str(k): _figure(v, f"unauthorized_mexico_share_by_state.{k}", sources, file)
        for k, v in states_raw.items()
    }
    for k, fig in states.items():
        if not 0 <= fig.value <= 1 or fig.source is None:
            raise DataError("a state share needs a source and a value in [0, 1]", file=file, field=k)
    return BirthplaceTable(
        {str(k): {f: str(v[f]) for f in ("title", "url", "date")} for k, v in sources.items()},
        unauth,
        lawful_counts / lawful_counts.sum(),
        hisp,
        states,
    )


@lru_cache(maxsize=4)
def load_birthplace(path: Path = BIRTHPLACE_FILE) -> BirthplaceTable:
    """The shipped table (cached: it is read once per process)."""
    return parse(read_yaml(path), path)
