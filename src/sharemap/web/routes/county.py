"""A county: `/county/{FIPS}` (page) and `/api/counties/{FIPS}` (JSON) from one handler."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from sharemap.flows.answer import channel_name, encounter_name, list_source, system_name
from sharemap.flows.graph import EdgeStatus
from sharemap.flows.render import card
from sharemap.flows.trace import Trace, format_seconds
from sharemap.flows.trace import compare as compare_traces
from sharemap.kb.facts import Encounter
from sharemap.report.render import STATUS_COLOURS, diagram_html, to_html_fragment
from sharemap.web.data import Site
from sharemap.web.routes.common import (
    data_links,
    day_of,
    lang_of,
    render,
    rows_csv,
    sim_query,
    sim_runs,
    site_of,
    wants_csv,
    wants_json,
)

router = APIRouter()


def path_diagram(site: Site, p: Any, lang: Any = "en") -> dict[str, Any]:
    """One path of a trace as the diagram draws it (names in the page's language, not ids)."""
    kb = site.kb
    return {
        "status": p.status.value,
        "systems": [system_name(kb, s, lang) if s in kb.systems else s for s in p.systems()],
        "channels": [channel_name(kb, c, lang) for c in p.channels],
        "elements": len(p.elements),
        "latency": format_seconds(p.latency_seconds) if p.status is not EdgeStatus.INACTIVE else "",
    }


def trace_blocks(site: Site, traces: dict[Encounter, Trace], lang: Any = "en") -> list[dict[str, Any]]:
    """One block per encounter: its summary and its diagram."""
    blocks = []
    for enc, t in traces.items():
        name = encounter_name(site.kb, enc, lang)
        blocks.append(
            {
                "id": enc.value,
                "name": name,
                "summary": t.summary(),
                "diagram": Markup(diagram_html([path_diagram(site, p, lang) for p in t.paths])),
                "reaching": sum(1 for p in t.paths if p.reaches_ice),
                "paths": len(t.paths),
            }
        )
    return blocks


def comparison(
    site: Site, fips: str, day: dt.date, day_b: dt.date, traces: dict[Encounter, Trace]
) -> dict[str, Any]:
    """What changes on each path of each encounter between two dates, and why."""
    tb = site.traces("county", fips, day_b)
    changes = []
    for enc in Encounter:
        c = compare_traces(traces[enc], tb[enc], label_a=day.isoformat(), label_b=day_b.isoformat())
        for ch in c.changes:
            changes.append(
                {
                    "encounter": c.a.encounter_name,
                    "path": " → ".join(site.kb.channels[x].name for x in ch.channels),
                    "before": ch.before.value if ch.before else "—",
                    "after": ch.after.value if ch.after else "—",
                    "why": ch.reason_after or ch.reason_before,
                }
            )
    return {"a": day.isoformat(), "b": day_b.isoformat(), "changes": changes}


@router.get("/api/counties/{fips}", tags=["places"])
@router.get("/county/{fips}", response_class=HTMLResponse, include_in_schema=False)
def county(
    request: Request,
    fips: str,
    date: str | None = None,
    compare_date: str | None = None,
    sim: list[str] = Query(default=[]),
) -> Response:
    """A county's agreements in force and ever listed. The page adds the trace of each encounter,
    a comparison with `compare_date` and the report (with finished simulation runs named by `sim`)."""
    site = site_of(request)
    day = day_of(request, date)
    data = site.county(fips, day)
    runs = sim_runs(request, sim)
    if wants_json(request):
        return JSONResponse(data)
    if wants_csv(request):
        return rows_csv(data["agreements_in_force"], f"sharemap-county-{data['fips']}-{day}.csv")
    traces = site.traces("county", data["fips"], day)
    cmp = comparison(site, data["fips"], day, day_of(request, compare_date), traces) if compare_date else None
    report = site.report_with_runs("county", data["fips"], day, runs)
    return render(
        request,
        "county.html",
        d=data,
        day=day,
        blocks=trace_blocks(site, traces, lang_of(request)),
        **card(traces, lang_of(request), list_source(site.source, data["list_date"])),
        cmp=cmp,
        report=Markup(to_html_fragment(report)),
        status_colours=STATUS_COLOURS,
        sim_query=sim_query(sim),
        **data_links(request),
    )
