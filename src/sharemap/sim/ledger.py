"""The disclosure ledger: what was disclosed, by whom, to whom, through which channel, and when.

Channel and data-element ids are the knowledge base's (`chan.*`, `de.*`, as in
../shared/research/systems/facts.yaml and sharemap/kb/data). The kernel writes an aggregate ledger (one
row per county, event, data element, with the number of disclosures); the SimPy model writes one row per
event and SYNTHETIC person. Both are written as Parquet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sharemap.errors import DataError

# event -> the knowledge base's channels it travels through, in order (sharemap/kb/data/channels.yaml)
EVENT_CHANNELS: dict[str, tuple[str, ...]] = {
    "booking_prints": ("chan.livescan_to_sib", "chan.sib_to_ngi", "chan.ngi_to_ident"),
    "ident_match_iaq": ("chan.ident_to_lesc", "chan.lesc_to_ero"),
    "name_iaq": ("chan.iaq_booking", "chan.nlets_to_lesc"),
    "jem_screening": ("chan.jem_jail_screening",),
    "detainer": ("chan.detainer_to_jail",),
    "release_notice": ("chan.release_notification",),
    "custody_transfer": ("chan.detainer_hold_transfer",),
    "wso_warrant": ("chan.wso_warrant_service",),
    "field_check": ("chan.tfm_field_arrest",),
    "dmv_query": ("chan.dmv_to_nlets", "chan.nlets_dmv_to_ice"),
    "alpr_lookup": ("chan.flock_lookup_for_ice",),
}
Hop = tuple[str, str, str, tuple[str, ...], str]  # channel, sender, recipient, data elements, direction


@lru_cache(maxsize=1)
def hops() -> dict[str, tuple[Hop, ...]]:
    """Per event, the channel hops with sender, recipient and data elements, from the knowledge base.

    The knowledge base is the one copy of the channels: if it cannot be read, or lacks a channel an
    event names, that is an error (there is no fallback table to drift from it)."""
    from sharemap.kb.load import load_kb

    kb = load_kb()
    out: dict[str, tuple[Hop, ...]] = {}
    for ev, chans in EVENT_CHANNELS.items():
        rows: list[Hop] = []
        for cid in chans:
            if cid not in kb.channels:
                raise DataError(
                    f"event {ev!r} travels through channel {cid!r}, which the knowledge base does not have",
                    file="sharemap/kb/data/channels.yaml",
                    field=cid,
                    expected="a channel id of the knowledge base",
                )
            ch = kb.channels[cid]
            fwd = tuple(c.element for c in ch.carries if str(c.direction) != "back")
            back = tuple(c.element for c in ch.carries if str(c.direction) == "back")
            rows.append((cid, ch.from_system, ch.to_system, fwd, "forward"))
            if back:
                rows.append((cid, ch.to_system, ch.from_system, back, "back"))
        out[ev] = tuple(rows)
    return out


def describe(event: str) -> tuple[str, str, str, tuple[str, ...]]:
    """One line per event: channels joined by ' > ', first sender, last forward recipient, all elements."""
    hs = hops()[event]
    fwd = [h for h in hs if h[4] == "forward"] or list(hs)
    elements = tuple(dict.fromkeys(e for h in hs for e in h[3]))
    return " > ".join(dict.fromkeys(h[0] for h in hs)), fwd[0][1], fwd[-1][2], elements


EVENTS = tuple(EVENT_CHANNELS)


# kernel stage (or stage combination) -> event
STAGE_EVENTS: dict[str, tuple[str, ...]] = {
    "booking_prints": ("prints_to_ident",),
    "ident_match_iaq": ("iaq_to_lesc",),
    "name_iaq": ("name_checks", "-jem_screened"),
    "jem_screening": ("jem_screened",),
    "detainer": ("detainers",),
    "release_notice": ("holds", "notify_only"),
    "custody_transfer": ("transfers",),
    "wso_warrant": ("wso_warrants_served",),
    "field_check": ("field_checks",),
    "dmv_query": ("dmv_queries",),
    "alpr_lookup": ("alpr_lookups",),
}


def event_counts(county: np.ndarray, stages: tuple[str, ...]) -> np.ndarray:
    """(C, len(EVENTS)) disclosure events per county from a kernel stage-count array (C, len(stages))."""
    idx = {s: i for i, s in enumerate(stages)}
    out = np.zeros((county.shape[0], len(EVENTS)))
    for j, ev in enumerate(EVENTS):
        for term in STAGE_EVENTS[ev]:
            sign = -1.0 if term.startswith("-") else 1.0
            out[:, j] += sign * county[:, idx[term.lstrip("-")]]
    return out


def aggregate_table(
    fips: np.ndarray, events: np.ndarray, lo: np.ndarray | None = None, hi: np.ndarray | None = None
) -> pa.Table:
    """Rows: county, event, channel hop, sender, recipient, data element, disclosures (mean and CI)."""
    keys = (
        "county_fips",
        "event",
        "channel",
        "direction",
        "sender",
        "recipient",
        "data_element",
        "disclosures",
        "ci_low",
        "ci_high",
    )
    cols: dict[str, list[object]] = {k: [] for k in keys}
    table_hops = hops()
    for j, ev in enumerate(EVENTS):
        for i, f in enumerate(fips):
            n = float(events[i, j])
            if n <= 0:
                continue
            for chan, snd, rcp, elements, direction in table_hops[ev]:
                for el in elements:
                    cols["county_fips"].append(str(f))
                    cols["event"].append(ev)
                    cols["channel"].append(chan)
                    cols["direction"].append(direction)
                    cols["sender"].append(snd)
                    cols["recipient"].append(rcp)
                    cols["data_element"].append(el)
                    cols["disclosures"].append(n)
                    cols["ci_low"].append(float(lo[i, j]) if lo is not None else None)
                    cols["ci_high"].append(float(hi[i, j]) if hi is not None else None)
    table = pa.table(cols)
    return table.replace_schema_metadata(
        {"synthetic": "true", "note": "SYNTHETIC simulation output; counts of disclosures, not real people"}
    )


def event_table(rows: list[tuple[float, int, str, str, str, str]], fips: str) -> pa.Table:
    """Event-level ledger from the SimPy model (one row per disclosure event of a SYNTHETIC person)."""
    t = pa.table(
        {
            "county_fips": [fips] * len(rows),
            "time_hours": [r[0] for r in rows],
            "synthetic_person_id": [f"SYNTHETIC-{fips}-{r[1]}" for r in rows],
            "event": [r[2] for r in rows],
            "channel": [describe(r[2])[0] for r in rows],
            "sender": [r[3] for r in rows],
            "recipient": [r[4] for r in rows],
            "data_elements": [r[5] for r in rows],
        }
    )
    return t.replace_schema_metadata({"synthetic": "true"})


def write(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
