"""Reports, traces and downloads: `/report/{kind}/{key}.{md,html,pdf,json}`, `/api/report`,
`/api/trace`, the report's stylesheet, `/methodology` and the ledger's tables."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from sharemap.errors import NotFoundError
from sharemap.kb.facts import Encounter
from sharemap.report.render import report_css, to_html, to_markdown
from sharemap.web.routes.common import day_of, render, run_in_thread, sim_runs, site_of, web, where

router = APIRouter()
_NAME = re.compile(r"^([a-z_]+)\.(csv|parquet)$")
_REPORT_FILE = re.compile(r"^([A-Za-z0-9-]{1,120})\.(md|html|pdf|json)$")


@router.get("/report.css", include_in_schema=False)
def report_stylesheet() -> Response:
    """The report's own styles, shared with the PDF and standalone HTML (one copy, in sharemap.report)."""
    return Response(report_css(), media_type="text/css")


@router.get("/report/{kind}/{file}", include_in_schema=False)
async def report_file(
    request: Request, kind: str, file: str, date: str | None = None, sim: list[str] = Query(default=[])
) -> Response:
    m = _REPORT_FILE.match(file)
    if kind not in ("county", "state", "agency", "nation") or not m:
        raise NotFoundError(f"no report {kind}/{file}", expected="/report/county/48201.html")
    key, fmt = m.groups()
    site = site_of(request)
    day = day_of(request, date)
    rep = await run_in_thread(lambda: site.report_with_runs(kind, key, day, sim_runs(request, sim)))
    stem = f"sharemap-{kind}-{key}-{day.isoformat()}"
    if fmt == "md":
        return PlainTextResponse(
            to_markdown(rep),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{stem}.md"'},
        )
    if fmt == "json":
        return JSONResponse(rep.to_dict())
    if fmt == "pdf":
        from sharemap.report.pdf import to_pdf

        # a bounded pool: when every slot renders, 503 + Retry-After rather than a pile-up
        pdf = await web(request).pdf_pool.render((kind, key, day, tuple(sim)), lambda: to_pdf(rep))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
        )
    return HTMLResponse(to_html(rep))


@router.get("/api/report", tags=["report"])
def api_report(
    request: Request,
    county: str | None = None,
    state: str | None = None,
    agency_id: str | None = None,
    nation: bool = False,
    date: str | None = None,
    sim: list[str] = Query(default=[]),
) -> dict[str, Any]:
    """The cited report as JSON: sections of sentences with citation numbers, and the references.
    `sim`: ids of finished simulation runs of the same place (SYNTHETIC outputs added, cited)."""
    site = site_of(request)
    kind, key = ("nation", "US") if nation else where(site, county, state, agency_id)
    return site.report_with_runs(kind, key, day_of(request, date), sim_runs(request, sim)).to_dict()


@router.get("/api/trace", tags=["trace"])
def api_trace(
    request: Request,
    county: str | None = None,
    state: str | None = None,
    agency_id: str | None = None,
    event: Encounter = Encounter.BOOKING,
    date: str | None = None,
) -> dict[str, Any]:
    """Every path by which data from an encounter reaches ICE, with the law's ruling on each hop."""
    site = site_of(request)
    kind, key = where(site, county, state, agency_id)
    day = day_of(request, date)
    target = site.target(kind, key)
    fresh = site.freshness(day, None if target.kind == "nation" else target.state)
    return {**site.traces(kind, key, day)[event].to_dict(), "freshness": fresh}


@router.get("/methodology", response_class=HTMLResponse, include_in_schema=False)
def methodology(request: Request) -> Response:
    site = site_of(request)
    kinds: dict[str, int] = {}
    for s in site.kb.sources.values():
        kinds[s.type.value] = kinds.get(s.type.value, 0) + 1
    return render(
        request,
        "methodology.html",
        source=site.source,
        tables=site.tables,
        kb_sources=len(site.kb.sources),
        kb_kinds=sorted(kinds.items(), key=lambda kv: -kv[1]),
        provisions=len(site.law.provisions) if hasattr(site.law, "provisions") else None,
        list_dates=(site.list_dates[0], site.list_dates[-1]) if site.list_dates else None,
        not_found=site.kb.not_found,
    )


@router.get("/download/{name}", include_in_schema=False)
def download(request: Request, name: str) -> Response:
    site = site_of(request)
    m = _NAME.match(name)
    if not m or m.group(1) not in site.tables:
        raise NotFoundError(f"no downloadable table {name!r}", expected="a name listed on /methodology")
    data = site.table_bytes(m.group(1), m.group(2))
    mime = "text/csv; charset=utf-8" if m.group(2) == "csv" else "application/vnd.apache.parquet"
    return Response(data, media_type=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})
