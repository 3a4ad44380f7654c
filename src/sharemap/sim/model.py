"""The compiled model: county inputs and per-status probabilities as arrays, shared by both implementations.

`compile_model(params, counties, ...)` turns dated parameters, a scenario's levers, county composition,
287(g) models and the jail's response to detainers (decided by the law) into plain numpy arrays. The
vectorised kernel (`pipeline.py`) and the SimPy reference model (`des.py`) read the same `Model`, so
they simulate the same process. Everything here describes SYNTHETIC people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sharemap.sim.counties import Counties
from sharemap.sim.params import ParamSet

STATUSES = ("us_born", "naturalised", "derived", "lpr", "visa", "humanitarian", "no_status")
CITIZEN = np.array([True, True, True, False, False, False, False])
ETHNICITIES = ("hispanic", "not_hispanic")
PRIORS = ("prior_arrest", "no_prior_arrest")
N_CELLS = len(STATUSES) * len(ETHNICITIES) * len(PRIORS)
CELL_STATUS = np.repeat(np.arange(len(STATUSES)), 4)
CELL_ETH = np.tile(np.repeat(np.arange(2), 2), len(STATUSES))
CELL_PRIOR = np.tile(np.arange(2), 2 * len(STATUSES))
CHECKS = ("biometric_and_name", "biometric_only", "name_only")


def lognormal_sigma(median: float, mean: float) -> float:
    """Sigma of a lognormal with the given median and mean (mean must exceed median)."""
    return math.sqrt(2 * math.log(max(mean / median, 1.0 + 1e-9)))


def p_lognormal_less(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """P(X1 < X2) for independent lognormals with log-means mu and log-sds s."""
    z = (mu2 - mu1) / math.sqrt(s1 * s1 + s2 * s2)
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def p_lognormal_le(x: float, mu: float, s: float) -> float:
    return 0.5 * (1 + math.erf((math.log(x) - mu) / (s * math.sqrt(2))))


@dataclass(frozen=True)
class Model:
    """Everything the pipeline needs, as arrays (county axis first)."""

    fips: np.ndarray
    state: np.ndarray
    population: np.ndarray  # residents
    bookings_per_year: np.ndarray  # mean bookings per county per year
    cell_p: np.ndarray  # (C, N_CELLS) composition of bookings
    resident_status_p: np.ndarray  # (C, 7) composition of residents (field contacts)
    resident_hisp_p: np.ndarray  # (C,) Hispanic share of foreign-born residents
    jem: np.ndarray  # (C,) bool
    wso: np.ndarray
    tfm: np.ndarray
    honour: np.ndarray  # (C,) probability the jail holds on a detainer
    notify: np.ndarray  # (C,) probability the jail notifies release only
    dmv_open: np.ndarray  # (C,) bool: ICE DMV queries allowed
    # per status / cell
    enrol: np.ndarray  # (7,)
    appear_removable: np.ndarray  # (7,) LESC response shows a removable person (true record)
    p_ero_cell: np.ndarray  # (N_CELLS,) detainer decision probability given removable-appearing record
    p_ero_false: np.ndarray  # (N_CELLS,) detainer probability on a wrong record (status of the other person)
    wrong_record_removable: float
    fnir: float
    fpir: float
    biometric: bool
    name_checks: bool
    p_name_check: float
    jem_screen: float
    interview_detect: float
    name_fnr: np.ndarray  # (2,) by ethnicity
    name_fpr: np.ndarray  # (2,)
    # timing (hours; log-normal parameters)
    mu_release: float
    s_release: float
    mu_response: float
    s_response: float
    mu_det_ero: float
    s_det_ero: float
    mu_det_jem: float
    mu_pickup: float
    s_pickup: float
    hold_window: float
    pickup_after_hold: float
    pickup_after_notify: float
    # field and other channels
    tfm_contacts_per_year: np.ndarray  # (C,)
    tfm_check_share: float
    dmv_queries_per_year: np.ndarray  # (C,)
    alpr_lookups_per_year: np.ndarray  # (C,)
    # DES-only capacities
    pickup_capacity_per_day: np.ndarray  # (C,)
    jem_hours_per_day: np.ndarray  # (C,)
    jem_interview_hours: float
    # share of bookings whose prints reach IDENT (the Secure Communities rollout; 1 from 2013)
    ident_coverage: float = 1.0
    regime: str = ""  # the enforcement regime the model was compiled for (params/regimes.yaml)
    # birthplace split (sim/birthplace.py): per county an index (C,) into per-state tables
    # (S, N_CELLS, birthplace groups) of P(birthplace | cell)
    bp_index: np.ndarray | None = None
    bp_table: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.fips)

    @property
    def p_detainer_in_time_ero(self) -> float:
        return p_lognormal_less(self.mu_det_ero, self.s_det_ero, self.mu_release, self.s_release)

    @property
    def p_detainer_in_time_jem(self) -> float:
        return p_lognormal_less(self.mu_det_jem, self.s_det_ero, self.mu_release, self.s_release)

    @property
    def p_pickup_in_window(self) -> float:
        return p_lognormal_le(self.hold_window, self.mu_pickup, self.s_pickup)

    def take(self, idx: np.ndarray) -> Model:
        """The same model restricted to some counties."""
        fields = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            fields[name] = (
                v[idx]
                if isinstance(v, np.ndarray)
                and v.shape[:1] == self.fips.shape
                and name
                not in (
                    "enrol",
                    "appear_removable",
                    "p_ero_cell",
                    "p_ero_false",
                    "name_fnr",
                    "name_fpr",
                    "bp_table",
                )
                else v
            )
        return Model(**fields)


def composition(params: ParamSet, counties: Counties) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Booking composition (C, N_CELLS), resident status shares (C, 7), Hispanic share among foreign-born."""
    fb = counties.foreign_born_share
    h = counties.hispanic_share
    nat = params["status.fb.naturalised"]
    der = params["status.naturalised.derived_share"]
    unauth = params["status.fb.unauthorized"]
    hum = params["status.unauth.humanitarian_share"]
    fb_status = np.array(
        [
            0.0,
            nat * (1 - der),
            nat * der,
            params["status.fb.lpr"],
            params["status.fb.visa"],
            unauth * hum,
            unauth * (1 - hum),
        ]
    )
    fb_status = fb_status / fb_status.sum()
    mult = params["booking.rate_multiplier.foreign_born"]
    k_ns = params["booking.rate_multiplier.no_status"]
    booked_mix = fb_status * np.array([1, 1, 1, 1, 1, 1, k_ns])
    booked_mix = booked_mix / booked_mix.sum()
    w_native = 1 - fb
    w_fb = fb * mult
    tot = w_native + w_fb
    booked_fb = w_fb / tot
    status = np.zeros((len(fb), 7))
    status[:, 0] = 1 - booked_fb
    status[:, 1:] = booked_fb[:, None] * booked_mix[None, 1:]
    resident = np.zeros((len(fb), 7))
    resident[:, 0] = 1 - fb
    resident[:, 1:] = fb[:, None] * fb_status[None, 1:]
    h_fb = np.minimum(0.95, params["ethnicity.hispanic_fb_ratio"] * h)
    h_native = np.clip((h - fb * h_fb) / np.maximum(1 - fb, 1e-9), 0, 1)
    prior = params["booking.prior_arrest_share"]
    cell = np.zeros((len(fb), N_CELLS))
    for k in range(N_CELLS):
        s, e, p = CELL_STATUS[k], CELL_ETH[k], CELL_PRIOR[k]
        ph = h_native if s == 0 else h_fb
        pe = ph if e == 0 else 1 - ph
        pp = prior if p == 0 else 1 - prior
        cell[:, k] = status[:, s] * pe * pp
    cell /= cell.sum(axis=1, keepdims=True)
    return cell, resident, h_fb
