"""An agency: `/agency/{id}` (page) and `/api/agencies/{id}` (JSON) from one handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sharemap.web.routes.common import data_links, lang_of, render, rows_csv, site_of, wants_csv, wants_json

router = APIRouter()


@router.get("/api/agencies/{agency_id}", tags=["places"])
@router.get("/agency/{agency_id}", response_class=HTMLResponse, include_in_schema=False)
def agency(request: Request, agency_id: str) -> Response:
    """An agency's history, pending requests and MOA terms with page references."""
    data = site_of(request).agency(agency_id)
    if wants_json(request):
        return JSONResponse(data)
    if wants_csv(request):
        return rows_csv(data["agreements"], f"sharemap-agency-{agency_id}.csv")
    answer = _answer(request, agency_id, data)
    return render(
        request,
        "agency.html",
        d=data,
        sh=_sharing(data["agency"], site_of(request).db),
        **answer,
        **data_links(request),
    )


def _answer(request: Request, agency_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The answer card for the agency today (sharemap.flows.answer), in the page's language."""
    import datetime as dt

    from sharemap.flows.answer import list_source
    from sharemap.flows.render import card

    site = site_of(request)
    ledger = list_source(site.source, data["freshness"].get("list_date"))
    return card(site.traces("agency", agency_id, dt.date.today()), lang_of(request), ledger)


def _sharing(agency: dict[str, Any], db: Path) -> dict[str, Any] | None:
    """The agency's plate-reader portals and findings (sharemap.sharing), for `_sharing_agency.html`."""
    import datetime as dt

    from sharemap.sharing import reviews
    from sharemap.sharing.pages import agency_context

    state, day = agency.get("state"), dt.date.today()
    if not state:
        return None
    return agency_context(agency["name"], state, day, reviews(state=state, as_of=day, db=db))
