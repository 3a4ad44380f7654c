"""A state: `/state/{ST}` (page) and `/api/states/{ST}` (JSON) from one handler."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from sharemap.flows.answer import list_source
from sharemap.flows.render import card
from sharemap.report.charts import stacked_bars
from sharemap.report.render import to_html_fragment
from sharemap.web.routes.common import (
    collapsed,
    data_links,
    day_of,
    lang_of,
    render,
    rows_csv,
    site_of,
    translator,
    wants_csv,
    wants_json,
    web,
)

router = APIRouter()


@router.get("/api/states/{code}", tags=["places"])
@router.get("/state/{code}", response_class=HTMLResponse, include_in_schema=False)
def state(request: Request, code: str, date: str | None = None) -> Response:
    """A state's stance, provisions (with sources), agreements in force and growth by quarter.
    The page adds the growth chart and the state's report."""
    site = site_of(request)
    day = day_of(request, date)
    data = site.state(code.upper(), day)
    if wants_json(request):
        return JSONResponse(data)
    if wants_csv(request):
        return rows_csv(data["agreements_in_force"], f"sharemap-state-{data['state']}-{day}.csv")
    g = data["growth"]
    t = translator(web(request), lang_of(request))
    chart = (
        stacked_bars(g["labels"], g["series"], f"{t('chart_in_force')}: {data['name']}")
        if g["labels"]
        else ""
    )
    report = site.report("state", data["state"], day)
    ledger = list_source(site.source, data["list_date"])
    return render(
        request,
        "state.html",
        d=data,
        day=day,
        chart=Markup(chart),
        report=collapsed(request, to_html_fragment(report), "report_show", "report-all"),
        report_key=data["state"],
        **card(site.traces("state", data["state"], day), lang_of(request), ledger),
        **data_links(request),
    )
