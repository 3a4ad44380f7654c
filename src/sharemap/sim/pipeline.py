"""The vectorised pipeline kernel: all counties at once, bookings counted by (status, ethnicity, prior) cell.

Bookings are split into cells (7 statuses x 2 ethnicities x prior arrest or not) per county with one
multinomial draw; each later stage is a binomial draw on the (county, cell) array, so a national year
(about 7.6 million SYNTHETIC bookings in 3,144 counties) is a few dozen array operations. Only the few
hundred thousand people who reach the detainer stage are simulated one by one, for their times (booking
to response, booking to detainer against the jail release clock, hold to pickup).

With `expected=True` every draw is replaced by its expectation (no randomness): that is what calibration
fits and what the SimPy model is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharemap.sim.birthplace import GROUPS as BIRTHPLACES
from sharemap.sim.model import CELL_ETH, CELL_STATUS, CITIZEN, N_CELLS, Model

STAGES = (
    "bookings",
    "ident_enrolled",
    "prints_to_ident",
    "ident_match",
    "ident_false_match",
    "iaq_to_lesc",
    "name_checks",
    "name_found",
    "name_false_match",
    "jem_screened",
    "flagged",
    "ero_decided",
    "detainers",
    "detainers_biometric_basis",
    "detainers_jem",
    "released_before_detainer",
    "holds",
    "wso_warrants_served",
    "notify_only",
    "declined",
    "pickups",
    "transfers",
    "released_after_detainer",
    "field_contacts",
    "field_checks",
    "field_flagged",
    "field_false_match",
    "dmv_queries",
    "alpr_lookups",
)
S = {name: i for i, name in enumerate(STAGES)}
CELL_STAGES = (
    "bookings",
    "flagged",
    "ident_match",
    "name_false_match",
    "detainers",
    "holds",
    "transfers",
    "released_before_detainer",
)
N_BIRTHPLACES = len(BIRTHPLACES)
LATENCIES = ("booking_to_response", "booking_to_detainer", "detainer_to_pickup")
LAT_EDGES = np.concatenate([[0.0], np.logspace(-2, 4, 61)])  # hours; last bin edge 10,000 h


@dataclass
class KernelResult:
    """Counts for one replicate: per county and stage, per cell for the key stages, latency histograms."""

    fips: np.ndarray
    county: np.ndarray  # (C, len(STAGES))
    cells: np.ndarray  # (len(CELL_STAGES), N_CELLS) summed over counties
    latency_hist: np.ndarray  # (len(LATENCIES), len(LAT_EDGES) - 1)
    birthplace: np.ndarray  # (len(CELL_STAGES), N_CELLS, N_BIRTHPLACES) summed over counties

    def total(self, stage: str) -> float:
        return float(self.county[:, S[stage]].sum())


class _Draw:
    def __init__(self, rng: np.random.Generator | None) -> None:
        self.rng = rng

    def binom(self, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
        p_arr = np.clip(np.broadcast_to(np.asarray(p, dtype=np.float64), np.shape(n)), 0.0, 1.0)
        if self.rng is None:
            return n * p_arr
        return self.rng.binomial(n.astype(np.int64), p_arr).astype(np.float64)

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        if self.rng is None:
            return lam.astype(np.float64)
        return self.rng.poisson(lam).astype(np.float64)

    def multinomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        if self.rng is None:
            return n[:, None] * p
        return self.rng.multinomial(n.astype(np.int64), p).astype(np.float64)


def run_kernel(
    model: Model, years: float = 1.0, rng: np.random.Generator | None = None, expected: bool = False
) -> KernelResult:
    """Simulate `years` of bookings in every county of `model`. `expected=True` gives expectations."""
    d = _Draw(None if expected else (rng or np.random.default_rng()))
    C = len(model)
    out = np.zeros((C, len(STAGES)))
    cells = np.zeros((len(CELL_STAGES), N_CELLS))
    hist = np.zeros((len(LATENCIES), len(LAT_EDGES) - 1))
    status = CELL_STATUS
    eth = CELL_ETH
    fb = status > 0

    total = d.poisson(model.bookings_per_year * years)
    N = d.multinomial(total, model.cell_p)  # (C, cells)
    out[:, S["bookings"]] = N.sum(1)
    # biometric: booking -> SIB -> NGI -> IDENT
    E = d.binom(N, model.enrol[status])
    out[:, S["ident_enrolled"]] = E.sum(1)
    if model.biometric:
        # before Secure Communities reached every jail only a share of bookings went on to IDENT (thinning
        # the match draws; no extra draw at full coverage, so runs from 2013 keep their random streams)
        cov = model.ident_coverage
        out[:, S["prints_to_ident"]] = N.sum(1) if cov >= 1 else d.binom(N.sum(1), cov)
        hit = d.binom(E, (1 - model.fnir) * cov)
        fhit = d.binom(N - E, model.fpir * cov)
    else:
        hit = np.zeros_like(N)
        fhit = np.zeros_like(N)
    out[:, S["ident_match"]] = (hit + fhit).sum(1)
    out[:, S["ident_false_match"]] = fhit.sum(1)
    out[:, S["iaq_to_lesc"]] = (hit + fhit).sum(1)
    rem = d.binom(hit, model.appear_removable[status])
    frem = d.binom(fhit, model.wrong_record_removable)
    dec_bio = d.binom(rem, model.p_ero_cell) + d.binom(frem, model.p_ero_false)
    # name checks for foreign-born bookings without a biometric match (IAQ / CAP review / JEM screening)
    dec_name = np.zeros_like(N)
    jem_dec = np.zeros_like(N)
    if model.name_checks:
        jem = model.jem[:, None]
        p_check = 1 - (1 - model.p_name_check) * (1 - model.jem_screen * jem)
        p_check = np.where(fb[None, :], p_check, 0.0)
        Ue = E - hit
        Uu = N - E - fhit
        NCe = d.binom(Ue, p_check)
        NCu = d.binom(Uu, p_check)
        out[:, S["name_checks"]] = (NCe + NCu).sum(1)
        out[:, S["jem_screened"]] = ((NCe + NCu) * jem).sum(1)
        found_e = d.binom(NCe, 1 - model.name_fnr[eth])
        no_status = status == len(CITIZEN) - 1
        detect_u = d.binom(NCu, np.where(no_status, model.interview_detect, 0.0))
        false_u = d.binom(NCu - detect_u, np.where(no_status, 0.0, model.name_fpr[eth]))
        out[:, S["name_found"]] = (found_e + detect_u + false_u).sum(1)
        out[:, S["name_false_match"]] = false_u.sum(1)
        rem_n = d.binom(found_e, model.appear_removable[status]) + detect_u
        frem_n = d.binom(false_u, model.wrong_record_removable)
        dec_name = d.binom(rem_n, model.p_ero_cell) + d.binom(frem_n, model.p_ero_false)
        jem_dec = dec_name * jem
        flagged_name = found_e + detect_u + false_u
    else:
        flagged_name = np.zeros_like(N)
        false_u = np.zeros_like(N)
    flagged = hit + fhit + flagged_name
    out[:, S["flagged"]] = flagged.sum(1)
    out[:, S["ero_decided"]] = (dec_bio + dec_name).sum(1)
    # the detainer must be lodged before the jail releases the person
    p_time_jem = model.p_detainer_in_time_jem
    p_time_ero = model.p_detainer_in_time_ero
    p_time_name = np.where(model.jem[:, None], p_time_jem, p_time_ero)
    det_bio = d.binom(dec_bio, p_time_ero)
    det_name = d.binom(dec_name, p_time_name)
    det = det_bio + det_name
    out[:, S["detainers"]] = det.sum(1)
    out[:, S["detainers_biometric_basis"]] = det_bio.sum(1)
    out[:, S["detainers_jem"]] = (det_name * model.jem[:, None]).sum(1)
    out[:, S["released_before_detainer"]] = (dec_bio + dec_name - det).sum(1)
    _ = jem_dec
    # jail response decided by the law and the agreement
    holds = d.binom(det, model.honour[:, None])
    rest_p = np.where(model.honour < 1, model.notify / np.maximum(1 - model.honour, 1e-12), 0.0)
    notify = d.binom(det - holds, rest_p[:, None])
    declined = det - holds - notify
    out[:, S["holds"]] = holds.sum(1)
    # in Warrant Service Officer jails a 287(g) officer serves ICE's I-200/I-205 on the held person
    out[:, S["wso_warrants_served"]] = (holds * model.wso[:, None]).sum(1)
    out[:, S["notify_only"]] = notify.sum(1)
    out[:, S["declined"]] = declined.sum(1)
    pk_hold = d.binom(holds, model.pickup_after_hold * model.p_pickup_in_window)
    pk_notify = d.binom(notify, model.pickup_after_notify)
    pickups = pk_hold + pk_notify
    out[:, S["pickups"]] = pickups.sum(1)
    out[:, S["transfers"]] = pickups.sum(1)
    out[:, S["released_after_detainer"]] = (det - pickups).sum(1)
    # per-cell totals, and their split by birthplace
    per_cell = {
        "bookings": N,
        "flagged": flagged,
        "ident_match": hit + fhit,
        "name_false_match": false_u,
        "detainers": det,
        "holds": holds,
        "transfers": pickups,
        "released_before_detainer": dec_bio + dec_name - det,
    }
    for name, arr in per_cell.items():
        cells[CELL_STAGES.index(name)] = arr.sum(0)
    birthplace = _birthplace(model, per_cell)
    # field contacts under Task Force Model agreements, and other channels
    contacts = d.poisson(model.tfm_contacts_per_year * years)
    fb_res = 1 - model.resident_status_p[:, 0]
    checks = d.binom(contacts, fb_res * model.tfm_check_share)
    out[:, S["field_contacts"]] = contacts
    out[:, S["field_checks"]] = checks
    share_ns = model.resident_status_p[:, -1] / np.maximum(fb_res, 1e-12)
    ns_checked = d.binom(checks, share_ns)
    out[:, S["field_flagged"]] = d.binom(ns_checked, model.interview_detect)
    fpr = model.resident_hisp_p * model.name_fpr[0] + (1 - model.resident_hisp_p) * model.name_fpr[1]
    out[:, S["field_false_match"]] = d.binom(checks - ns_checked, fpr)
    out[:, S["dmv_queries"]] = d.poisson(model.dmv_queries_per_year * years)
    out[:, S["alpr_lookups"]] = d.poisson(model.alpr_lookups_per_year * years)
    if not expected:
        assert d.rng is not None
        hist = _latencies(model, d.rng, out, hit + fhit, dec_bio, dec_name)
    return KernelResult(model.fips, out, cells, hist, birthplace)


def _birthplace(model: Model, per_cell: dict[str, np.ndarray]) -> np.ndarray:
    """(cell stages, cells, birthplace groups): each cell's count split by P(birthplace | cell) in the
    county's state. The split is the expectation given the simulated counts (no extra random draws:
    the streams of every other output are unchanged); counts are summed by state first, so it costs a
    few milliseconds for the nation."""
    out = np.zeros((len(CELL_STAGES), N_CELLS, N_BIRTHPLACES))
    if model.bp_index is None or model.bp_table is None or not len(model):
        return out
    idx = model.bp_index
    order = None if bool(np.all(idx[:-1] <= idx[1:])) else np.argsort(idx, kind="stable")
    if order is not None:
        idx = idx[order]
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    table = model.bp_table[idx[starts]]  # (S, cells, groups)
    for k, name in enumerate(CELL_STAGES):
        arr = per_cell[name] if order is None else per_cell[name][order]
        by_state = np.add.reduceat(arr, starts, axis=0)  # (S, cells)
        out[k] = (by_state[:, :, None] * table).sum(axis=0)
    return out


def _latencies(
    model: Model,
    rng: np.random.Generator,
    out: np.ndarray,
    matched: np.ndarray,
    dec_bio: np.ndarray,
    dec_name: np.ndarray,
) -> np.ndarray:
    """Latency histograms from per-event draws (only for the events that reach each stage)."""
    hist = np.zeros((len(LATENCIES), len(LAT_EDGES) - 1))
    n_match = int(matched.sum())
    resp = np.exp(model.mu_response + model.s_response * rng.standard_normal(n_match))
    hist[0] = np.histogram(resp, LAT_EDGES)[0]
    # booking -> detainer (conditioned on beating the release clock): draw and keep those in time
    n_det = int(out[:, S["detainers"]].sum())
    if n_det:
        k = max(16, int(n_det / max(model.p_detainer_in_time_ero, 1e-3) * 1.2))
        t_det = np.exp(model.mu_det_ero + model.s_det_ero * rng.standard_normal(k))
        t_rel = np.exp(model.mu_release + model.s_release * rng.standard_normal(k))
        keep = t_det[t_det < t_rel][:n_det]
        hist[1] = np.histogram(keep, LAT_EDGES)[0]
    n_pk = int(out[:, S["pickups"]].sum())
    if n_pk:
        k = max(16, int(n_pk / max(model.p_pickup_in_window, 1e-3) * 1.2))
        t_pk = np.exp(model.mu_pickup + model.s_pickup * rng.standard_normal(k))
        keep = t_pk[t_pk <= model.hold_window][:n_pk]
        hist[2] = np.histogram(keep, LAT_EDGES)[0]
    _ = (dec_bio, dec_name)
    return hist
