"""Changes on ICE's lists: `/changes` (page) and `/api/changes` (JSON) from one handler, and the
same window as an Atom feed and a CSV file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sharemap.ledger import changes as change_log
from sharemap.ledger import geo
from sharemap.web.routes.common import csv_response, day_of, render, site_of, wants_json

router = APIRouter()


def change_query(
    request: Request, since: str | None, until: str | None, state: str | None
) -> tuple[dt.date, dt.date, str | None, list[Any]]:
    """The window (default: the 90 days before today) and state of a changes request."""
    end = day_of(request, until) if until else dt.date.today()
    start = day_of(request, since) if since else end - dt.timedelta(days=90)
    code = geo.state_code(state) if state and state.strip() else None
    return start, end, code, site_of(request).changes(start, end, code)


@router.get("/api/changes", tags=["ledger"])
@router.get("/changes", response_class=HTMLResponse, include_in_schema=False)
def changes(
    request: Request,
    since: str | None = Query(None, description="YYYY-MM-DD; default 90 days before `until`"),
    until: str | None = Query(None, description="YYYY-MM-DD; default today"),
    state: str | None = Query(None, description="two-letter code or state name"),
) -> Response:
    """Agreements added, ended, renewed, renamed, model changes and pending requests, with evidence."""
    site = site_of(request)
    start, end, code, items = change_query(request, since, until, state)
    if wants_json(request):
        return JSONResponse(
            {
                "since": start.isoformat(),
                "until": end.isoformat(),
                "state": code,
                "freshness": site.freshness(end, code),
                "changes": [c.model_dump(mode="json") for c in items],
                "source": site.source,
            }
        )
    q = f"since={start}&until={end}" + (f"&state={code}" if code else "")
    return render(
        request,
        "changes.html",
        items=items,
        since=start.isoformat(),
        until=end.isoformat(),
        state=code,
        fresh=site.freshness(end, code),
        title=f"Changes on ICE's 287(g) lists{' in ' + code if code else ''}",
        feed=f"/changes.atom?{q}",
        csv=f"/changes.csv?{q}",
        api=f"/api/changes?{q}",
        data_json=f"/api/changes?{q}",
        data_csv=f"/changes.csv?{q}",
    )


@router.get("/changes.atom", include_in_schema=False)
def changes_feed(
    request: Request, since: str | None = None, until: str | None = None, state: str | None = None
) -> Response:
    start, end, code, items = change_query(request, since, until, state)
    base = str(request.base_url)
    title = f"Changes on ICE's 287(g) lists{' in ' + code if code else ''}, {start} to {end}"
    xml = change_log.to_atom(items, title, base, change_log.feed_url(base, start, end, code))
    return Response(xml, media_type="application/atom+xml")


@router.get("/changes.csv", include_in_schema=False)
def changes_csv(
    request: Request, since: str | None = None, until: str | None = None, state: str | None = None
) -> Response:
    start, end, code, items = change_query(request, since, until, state)
    return csv_response(change_log.to_csv(items), f"changes-{code or 'US'}-{start}-{end}.csv")
