"""The web app's routers, one per resource (see docs/web.md, "Code layout"); `create_app` includes
them in this order. Shared rendering, negotiation and error answers live in `common`."""

from __future__ import annotations

from fastapi import APIRouter

from sharemap.web.routes import agency, audit, changes, county, home, reports, search, sharing, sim, state

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    search.router,
    state.router,
    county.router,
    agency.router,
    changes.router,
    reports.router,
    sharing.router,
    audit.router,
    sim.router,
)
