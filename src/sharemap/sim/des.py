"""SimPy reference model of one county at event level, with queues the kernel does not have.

Every SYNTHETIC booking is a process: prints go to IDENT (response after a lognormal delay), the jail's
release clock runs, a match leads through LESC to an ERO decision, a foreign-born booking without a
match may be screened by name (in a Jail Enforcement Model jail by a 287(g) officer, whose hours are a
limited resource), a detainer lodged before release meets the jail's response (hold up to the window,
notify, decline), and ICE's pickups use a limited transport capacity. Every disclosure is written to an
event-level ledger (time, SYNTHETIC person id, channel, sender, recipient, data elements).

With ample capacity the model is the same process as the vectorised kernel; `tests/sim/test_des.py`
checks that their stage counts agree statistically.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sharemap.sim.ledger import describe
from sharemap.sim.model import CELL_ETH, CELL_STATUS, N_CELLS, STATUSES, Model
from sharemap.sim.params import check_seed, check_years

HOURS_PER_YEAR = 8760.0
NO_STATUS = len(STATUSES) - 1


@dataclass
class DesResult:
    fips: str
    counts: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {
            "booking_to_response": [],
            "booking_to_detainer": [],
            "detainer_to_pickup": [],
        }
    )
    ledger: list[tuple[float, int, str, str, str, str]] = field(default_factory=list)
    events: int = 0
    jem_wait_hours: list[float] = field(default_factory=list)
    pickups_missed_capacity: int = 0


class CountyDes:
    """One county's pipeline as a SimPy model. `model` must hold exactly one county."""

    def __init__(
        self, model: Model, rng: np.random.Generator, *, write_ledger: bool = True, capacity: bool = True
    ) -> None:
        if len(model) != 1:
            raise ValueError("CountyDes simulates one county; select it first")
        self.m = model
        self.rng = rng
        self.env = simpy.Environment()
        self.res = DesResult(str(model.fips[0]))
        self.write_ledger = write_ledger
        self.jem = bool(model.jem[0])
        self.wso = bool(model.wso[0])
        big = 10**9
        officers = max(1, round(float(model.jem_hours_per_day[0]) / 8)) if capacity else big
        self.officers = simpy.Resource(self.env, capacity=officers)
        per_day = float(model.pickup_capacity_per_day[0])
        trucks = max(1, math.ceil(per_day)) if capacity else big
        self.transport = simpy.Resource(self.env, capacity=trucks)
        # each pickup keeps a transport slot busy so that throughput is `per_day` pickups a day
        self.pickup_service_hours = trucks * 24.0 / max(per_day, 1e-9) if capacity else 0.0
        self.capacity = capacity
        self._ubuf: list[float] = []
        self._nbuf: list[float] = []
        self._ui = self._ni = 0
        self._cum = np.cumsum(model.cell_p[0]).tolist()
        self._cum[-1] = 1.0

    # ------------------------------------------------------------------ helpers
    def _log(self, pid: int, event: str) -> None:
        if not self.write_ledger:
            return
        _, sender, recipient, elements = describe(event)
        self.res.ledger.append((self.env.now, pid, event, sender, recipient, ",".join(elements)))

    def _ln(self, mu: float, s: float) -> float:
        return math.exp(mu + s * self._normal())

    def _u(self) -> float:
        """A uniform from a pre-drawn buffer (drawing one at a time from numpy is slow)."""
        if self._ui >= len(self._ubuf):
            self._ubuf = self.rng.random(65536).tolist()
            self._ui = 0
        self._ui += 1
        return self._ubuf[self._ui - 1]

    def _normal(self) -> float:
        if self._ni >= len(self._nbuf):
            self._nbuf = self.rng.standard_normal(65536).tolist()
            self._ni = 0
        self._ni += 1
        return self._nbuf[self._ni - 1]

    # ------------------------------------------------------------------ processes
    def arrivals(self, years: float) -> Any:
        """Bookings arrive as a Poisson process; each becomes a process. The draws that decide whether a
        booking goes further (cell, IDENT enrolment and match, name check) are made here."""
        m, c = self.m, self.res.counts
        rate = m.bookings_per_year[0] / HOURS_PER_YEAR
        horizon = years * HOURS_PER_YEAR
        enrol = [float(x) for x in m.enrol]
        status = [int(x) for x in CELL_STATUS]
        cum, last = self._cum, N_CELLS - 1
        p_check = 1 - (1 - m.p_name_check) * (1 - m.jem_screen * self.jem) if m.name_checks else 0.0
        fnir, fpir, bio = float(m.fnir), float(m.fpir), m.biometric
        env, log, process, booking = self.env, self.write_ledger, self.env.process, self.booking
        timeout = env.timeout
        enrol_a = np.asarray(enrol)
        status_a = np.asarray(status)
        cum_a = np.asarray(cum)
        pid = n_enrolled = 0
        try:
            while True:
                # the draws for a block of bookings are made at once with numpy (one at a time is slow)
                k = 8192
                uu = self.rng.random((5, k))
                gaps = (-np.log1p(-uu[0]) / rate).tolist()
                cells_a = np.minimum(np.searchsorted(cum_a, uu[1], side="right"), last)
                st_a = status_a[cells_a]
                enr_a = uu[2] < enrol_a[st_a]
                if bio:
                    hit_a = enr_a & (uu[3] < 1 - fnir)
                    fhit_a = ~enr_a & (uu[3] < fpir)
                else:
                    hit_a = fhit_a = np.zeros(k, dtype=bool)
                act_a = hit_a | fhit_a | ((st_a > 0) & (uu[4] < p_check))
                rows = zip(
                    gaps,
                    cells_a.tolist(),
                    enr_a.tolist(),
                    hit_a.tolist(),
                    fhit_a.tolist(),
                    act_a.tolist(),
                    strict=True,
                )
                for gap, cell, enrolled, hit, false_hit, active in rows:
                    yield timeout(gap)
                    if env.now > horizon:
                        return
                    n_enrolled += enrolled
                    if log:
                        self._log(pid, "booking_prints")
                    process(booking(pid, cell, enrolled, hit, false_hit, active))
                    pid += 1
        finally:
            c["bookings"] += pid
            c["ident_enrolled"] += n_enrolled
            if bio:
                c["prints_to_ident"] += pid

    def booking(self, pid: int, cell: int, enrolled: bool, hit: bool, false_hit: bool, active: bool) -> Any:
        """One booked SYNTHETIC person's process; inactive bookings (no match, no name check) end here."""
        if not active:
            return
        m, c = self.m, self.res.counts
        t0 = self.env.now
        s, e = int(CELL_STATUS[cell]), int(CELL_ETH[cell])
        release_at = t0 + self._ln(m.mu_release, m.s_release)
        decided = False
        path = ""
        if hit or false_hit:
            yield self.env.timeout(self._ln(m.mu_response, m.s_response))
            self.res.latencies["booking_to_response"].append(self.env.now - t0)
            c["ident_match"] += 1
            c["iaq_to_lesc"] += 1
            c["ident_false_match"] += false_hit
            c["flagged"] += 1
            self._log(pid, "ident_match_iaq")
            if hit:
                removable = self._u() < m.appear_removable[s]
                decided = removable and self._u() < m.p_ero_cell[cell]
            else:
                removable = self._u() < m.wrong_record_removable
                decided = removable and self._u() < m.p_ero_false[cell]
            path = "bio"
        else:  # checked by name (decided at arrival)
            c["name_checks"] += 1
            if self.jem:
                c["jem_screened"] += 1
                self._log(pid, "jem_screening")
                if self.capacity:
                    t_req = self.env.now
                    with self.officers.request() as req:
                        yield req
                        self.res.jem_wait_hours.append(self.env.now - t_req)
                        yield self.env.timeout(m.jem_interview_hours)
            else:
                self._log(pid, "name_iaq")
            found = False
            if enrolled:
                found = self._u() < 1 - m.name_fnr[e]
                removable = found and self._u() < m.appear_removable[s]
                p_dec = m.p_ero_cell[cell]
            elif s == NO_STATUS:
                found = self._u() < m.interview_detect
                removable = found
                p_dec = m.p_ero_cell[cell]
            else:
                found = self._u() < m.name_fpr[e]
                c["name_false_match"] += found
                removable = found and self._u() < m.wrong_record_removable
                p_dec = m.p_ero_false[cell]
            if found:
                c["name_found"] += 1
                c["flagged"] += 1
            decided = bool(removable and self._u() < p_dec)
            path = "jem" if self.jem else "name"
        if not decided:
            return
        c["ero_decided"] += 1
        mu = m.mu_det_jem if path == "jem" else m.mu_det_ero
        t_det = t0 + self._ln(mu, m.s_det_ero)
        if t_det >= release_at:
            c["released_before_detainer"] += 1
            return
        yield self.env.timeout(max(0.0, t_det - self.env.now))
        if self.env.now >= release_at:
            c["released_before_detainer"] += 1
            return
        c["detainers"] += 1
        c["detainers_biometric_basis"] += path == "bio"
        c["detainers_jem"] += path == "jem"
        self.res.latencies["booking_to_detainer"].append(self.env.now - t0)
        self._log(pid, "detainer")
        r = self._u()
        honour, notify = m.honour[0], m.notify[0]
        yield self.env.timeout(release_at - self.env.now)  # the jail's release clock
        if r < honour:
            c["holds"] += 1
            self._log(pid, "release_notice")
            if self.wso:
                c["wso_warrants_served"] += 1
                self._log(pid, "wso_warrant")
            yield from self.pickup(pid, window=m.hold_window, p=m.pickup_after_hold, hold=True)
        elif r < honour + notify:
            c["notify_only"] += 1
            self._log(pid, "release_notice")
            if self._u() < m.pickup_after_notify:
                c["pickups"] += 1
                c["transfers"] += 1
                self.res.latencies["detainer_to_pickup"].append(0.0)
                self._log(pid, "custody_transfer")
            else:
                c["released_after_detainer"] += 1
        else:
            c["declined"] += 1
            c["released_after_detainer"] += 1

    def pickup(self, pid: int, window: float, p: float, hold: bool) -> Any:
        m, c = self.m, self.res.counts
        start = self.env.now
        wants = self._u() < p
        arrive = self._ln(m.mu_pickup, m.s_pickup)
        if not wants or arrive > window:
            c["released_after_detainer"] += 1
            return
        if self.capacity:
            with self.transport.request() as req:
                got = yield req | self.env.timeout(max(0.0, window - (self.env.now - start)))
                if req not in got:
                    self.res.pickups_missed_capacity += 1
                    c["released_after_detainer"] += 1
                    return
                yield self.env.timeout(max(0.0, arrive - (self.env.now - start)))
                if self.env.now - start > window:
                    self.res.pickups_missed_capacity += 1
                    c["released_after_detainer"] += 1
                    return
                self.env.process(self._busy(req))
        else:
            yield self.env.timeout(arrive)
        c["pickups"] += 1
        c["transfers"] += 1
        self.res.latencies["detainer_to_pickup"].append(self.env.now - start)
        self._log(pid, "custody_transfer")

    def _busy(self, req: Any) -> Any:
        """Keep the transport slot busy for the rest of its service time after a pickup."""
        with self.transport.request() as hold:
            yield hold
            yield self.env.timeout(self.pickup_service_hours)

    def run(self, years: float = 1.0) -> DesResult:
        self.env.process(self.arrivals(years))
        self.env.run()
        self.res.counts = Counter({k: int(v) for k, v in self.res.counts.items()})
        # SimPy numbers every scheduled event; all of them have been processed when the run ends
        self.res.events = next(self.env._eid)
        return self.res


def run_des(
    model: Model, years: float = 1.0, seed: int = 0, *, write_ledger: bool = True, capacity: bool = True
) -> DesResult:
    """Simulate one county for `years` at event level."""
    years = check_years(years)
    seed = check_seed(seed)
    return CountyDes(model, np.random.default_rng(seed), write_ledger=write_ledger, capacity=capacity).run(
        years
    )
