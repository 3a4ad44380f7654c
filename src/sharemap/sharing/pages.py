"""What the web pages show of plate-reader sharing: an agency's portals and findings, and a map layer.

Pure functions over `reviews` (the database's sharing tables where they exist, else the shipped
data): the agency page's context (`agency_context`) and, per state or county, how many portals
list organisations out of state or federal agencies on a date (`map_layer`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sharemap.kb.jurisdictions import jurisdiction
from sharemap.sharing.findings import PortalReview
from sharemap.sharing.orgs import Reach, place_county

_WORDS = (
    (r"\bpolice (department|dept\.?)\b|\bpolice\b", "pd"),
    (r"\bsheriff'?s? (office|department|dept\.?)\b|\bsheriff'?s?\b", "so"),
    (r"\bcounty sd\b", "county so"),  # "San Diego County CA SD": the sheriff's department
    (r"\bdepartment of public safety\b", "dps"),
    (r"\b(city|town|village) of\b|\bthe\b", " "),
)


def agency_key(name: str, state: str) -> str:
    """A name in the form portal names and ledger names are matched in: "El Cajon Police Department"
    and "El Cajon PD (CA)" both give "el cajon pd" (state code and name dropped, kinds abbreviated)."""
    st = jurisdiction(state)
    text = re.sub(r"\s+", " ", name.lower()).replace("’", "'")
    if st is not None:
        text = re.sub(rf"\b{re.escape(st.name.lower())}\b", " ", text)
    text = re.sub(r"\s+", " ", re.sub(rf"\b{state.lower()}\b", " ", text))
    for pattern, short in _WORDS:
        text = re.sub(pattern, short, text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _review_view(r: PortalReview) -> dict[str, Any]:
    d = r.to_dict()
    return {
        "agency": d["agency"],
        "slug": d["slug"],
        "date": d["date"],
        "outbound": d["outbound"],
        "inbound": d["inbound"],
        "by_class": d["outbound_by_class"],
        "inactive": d["outbound_inactive"],
        "retention_days": d["retention_days"],
        "findings": [
            {
                "text": f["text"],
                "citations": [p["citation"] for p in f["provisions"]],
                "urls": [p["url"] for p in f["provisions"]],
            }
            for f in d["findings"]
        ],
        "source": d["source"],
    }


def agency_context(
    name: str, state: str, day: dt.date, found: Iterable[PortalReview] | None = None
) -> dict[str, Any]:
    """The `_sharing_agency.html` context for one agency: its portal snapshots (newest on or before
    `day`) with counts by class and findings, matched by name within its state; or a statement that
    no portal of this agency is public."""
    from sharemap.sharing import reviews

    key = agency_key(name, state)
    pool = list(found) if found is not None else reviews(state=state, as_of=day)
    mine = [r for r in pool if key and agency_key(r.snapshot.agency, state) == key]
    return {
        "as_of": day.isoformat(),
        "state": state,
        "portals": [_review_view(r) for r in mine],
        "none": f"No public plate-reader portal of this agency on or before {day.isoformat()}."
        if not mine
        else "",
    }


def _area_of(r: PortalReview, level: str) -> str | None:
    from sharemap.sharing.store import shipped_registry

    if level == "state":
        return r.snapshot.state
    placed = shipped_registry().get("slug:" + r.snapshot.slug)
    if placed is None:
        return None
    return placed.county_fips or place_county(placed.place_fips or "")


def map_layer(day: dt.date, level: str = "state", state: str | None = None) -> dict[str, Any]:
    """Per state (level "state", keys are codes) or county (level "county", keys are FIPS): the public
    portals' newest snapshots on or before `day`, and how many of them list organisations out of state
    or federal agencies, with those agencies' names. Areas without portal data are absent (no data,
    not "no sharing"); portals not placed in a county are counted under `unplaced`."""
    from sharemap.sharing import reviews

    if level not in ("state", "county"):
        raise ValueError(f"level must be 'state' or 'county', not {level!r}")
    areas: dict[str, dict[str, Any]] = {}
    unplaced = 0
    for r in reviews(state=state, as_of=day):
        area = _area_of(r, level)
        if area is None:
            unplaced += 1
            continue
        a = areas.setdefault(
            area,
            {
                "portals": 0,
                "sharing_out_of_state": 0,
                "sharing_federal": 0,
                "organisations_out_of_state": 0,
                "organisations_federal": 0,
                "agencies": [],
            },
        )
        far, fed = len(r.outbound[Reach.OUT_OF_STATE]), len(r.outbound[Reach.FEDERAL])
        a["portals"] += 1
        a["sharing_out_of_state"] += far > 0
        a["sharing_federal"] += fed > 0
        a["organisations_out_of_state"] += far
        a["organisations_federal"] += fed
        if far or fed:
            a["agencies"].append(
                {
                    "agency": r.snapshot.agency,
                    "date": r.snapshot.date.isoformat(),
                    "out_of_state": far,
                    "federal": fed,
                    "findings": len(r.findings),
                }
            )
    return {
        "as_of": day.isoformat(),
        "level": level,
        "areas": areas,
        "unplaced": unplaced,
        "source": "agencies' own transparency portals (sharemap.sharing; see docs/sharing.md)",
    }
