"""Background county simulations (SYNTHETIC people): `/sim`, `/sim/jobs/{id}` and `/api/sim/...`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from sharemap.errors import InputError, NotFoundError
from sharemap.ledger import geo
from sharemap.web import jobs as jobs_mod
from sharemap.web.routes.common import render, site_of, web

router = APIRouter()


def start_job(request: Request, county: str, a: str, b: str, reps: int) -> jobs_mod.Job:
    """Queue a run for this client (Busy, answered 429, beyond the per-client or total limit)."""
    request.state.inputs = [county, a, b]
    ok, why = jobs_mod.sim_available()
    if not ok:
        raise InputError(f"simulation not available: {why}")
    c = geo.county_by_name(county)
    client = request.client.host if request.client else ""
    return web(request).jobs.start(c.fips, a, b or None, reps, client=client)


def job_or_404(request: Request, job_id: str, hint: str = "") -> jobs_mod.Job:
    job = web(request).jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no simulation run {job_id!r}{hint}")
    return job


@router.get("/sim", response_class=HTMLResponse, include_in_schema=False)
def sim_page(request: Request, county: str | None = None) -> Response:
    ok, why = jobs_mod.sim_available()
    return render(
        request,
        "sim.html",
        county=site_of(request).county_names.get(county or "", county or "Collier County, FL"),
        available=ok,
        why=why,
        scenarios=jobs_mod.scenario_names(),
        max_reps=jobs_mod.MAX_REPLICATES,
    )


@router.post("/sim", include_in_schema=False)
def sim_post(
    request: Request,
    county: str = Form(...),
    scenario_a: str = Form("baseline"),
    scenario_b: str = Form(""),
    replicates: int = Form(5),
) -> Response:
    job = start_job(request, county, scenario_a, scenario_b, replicates)
    return RedirectResponse(f"/sim/jobs/{job.id}", status_code=303)


@router.get("/sim/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def sim_job_page(request: Request, job_id: str) -> Response:
    job = job_or_404(request, job_id, " (runs are kept in memory only)")
    d = job.to_dict()
    return render(
        request,
        "sim_job.html",
        job=d,
        chart=Markup(d["result"]["chart_svg"]) if d["result"] else "",
        county=site_of(request).county_names.get(job.county, job.county),
        data_json=f"/api/sim/jobs/{job.id}",
    )


@router.get("/api/sim/scenarios", tags=["simulation"])
def api_scenarios() -> dict[str, Any]:
    ok, why = jobs_mod.sim_available()
    return {"available": ok, "reason": why or None, "scenarios": jobs_mod.scenario_names()}


@router.post(
    "/api/sim/jobs",
    tags=["simulation"],
    status_code=202,
    responses={429: {"description": "too many runs queued (Retry-After says when to try again)"}},
)
def api_sim_start(
    request: Request,
    county: str = Form(...),
    scenario_a: str = Form("baseline"),
    scenario_b: str = Form(""),
    replicates: int = Form(5),
) -> dict[str, Any]:
    """Start a county simulation (SYNTHETIC people) in the background; poll the job for progress."""
    return start_job(request, county, scenario_a, scenario_b, replicates).to_dict()


@router.get("/api/sim/jobs/{job_id}", tags=["simulation"])
def api_sim_job(request: Request, job_id: str) -> dict[str, Any]:
    return job_or_404(request, job_id).to_dict()
