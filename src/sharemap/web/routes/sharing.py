"""Plate-reader sharing: `/api/sharing`, `/api/sharing/findings` and the findings as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sharemap.errors import InputError
from sharemap.ledger import geo
from sharemap.safety import spreadsheet_safe
from sharemap.web.routes.common import csv_response, opt_day, site_of

router = APIRouter()


@router.get("/api/sharing", tags=["sharing"])
def api_sharing(
    request: Request,
    state: str | None = Query(None, description="two-letter code or state name"),
    agency: str | None = Query(None, description="agency name or part of it"),
    as_of: str | None = Query(None, description="YYYY-MM-DD; newest portal snapshot on or before"),
) -> dict[str, Any]:
    """Each portal's newest snapshot: who it shares its plate-reader network with, by class, findings."""
    from sharemap.sharing import reviews

    if state is None and agency is None:
        raise InputError("say which agencies", field="state/agency", expected="state or agency")
    code = geo.state_code(state) if state else None
    found = reviews(state=code, agency=agency, as_of=opt_day(request, as_of), db=site_of(request).db)
    return {"reviews": [r.to_dict() for r in found], "source": "agencies' transparency portals"}


@router.get("/api/sharing/findings", tags=["sharing"])
def api_sharing_findings(
    request: Request,
    state: str | None = Query(None, description="two-letter code or state name"),
    as_of: str | None = Query(None, description="YYYY-MM-DD"),
) -> dict[str, Any]:
    """Plate-reader sharing the law bars, as portals and network audits record it, with citations."""
    from sharemap.sharing import findings

    code = geo.state_code(state) if state else None
    found = findings(state=code, as_of=opt_day(request, as_of), db=site_of(request).db)
    return {"findings": [f.to_dict() for f in found]}


@router.get("/sharing/findings.csv", include_in_schema=False)
def sharing_findings_csv(request: Request, state: str | None = None, as_of: str | None = None) -> Response:
    from sharemap.sharing import findings

    code = geo.state_code(state) if state else None
    found = findings(state=code, as_of=opt_day(request, as_of), db=site_of(request).db)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["state", "agency", "date", "finding", "organisations", "provisions", "text", "source"])
    for f in found:
        cites = "; ".join(p.citation for p in f.provisions)
        row = [f.state, f.agency, f.date.isoformat(), f.rule, len(f.orgs), cites, f.text, f.source]
        w.writerow([spreadsheet_safe(v) for v in row])
    return csv_response(buf.getvalue(), f"sharing-findings-{state or 'US'}.csv")


@router.get("/api/sharing/map", tags=["sharing"])
def api_sharing_map(
    request: Request,
    level: str = Query("state", description="state (keys: codes) or county (keys: FIPS)"),
    state: str | None = Query(None, description="two-letter code or state name (county level)"),
    as_of: str | None = Query(None, description="YYYY-MM-DD; newest portal snapshot on or before"),
) -> dict[str, Any]:
    """Per state or county: public plate-reader portals and how many list organisations out of state
    or federal agencies (the home map's `sharing` layer). An absent area has no portal data."""
    from sharemap.sharing.pages import map_layer

    if level not in ("state", "county"):
        raise InputError("unknown level", field="level", expected="state or county")
    code = geo.state_code(state) if state else None
    return map_layer(opt_day(request, as_of) or dt.date.today(), level=level, state=code)


@router.get("/api/sharing/searches", tags=["sharing"])
def api_sharing_searches(
    portal: str | None = Query(None, description="agency name or portal slug, or part of it"),
) -> dict[str, Any]:
    """California portals' own-search audits as counts per portal (no reason text, no user)."""
    from sharemap.sharing.search_audits import matching, totals
    from sharemap.sharing.store import shipped_search_audits

    rows = matching(shipped_search_audits(), portal)
    return {"totals": totals(rows), "portals": [s.to_dict() for s in rows]}
