"""The web app: server-rendered pages (Jinja2, light JavaScript) and a JSON API with OpenAPI.

`create_app(db)` opens the ledger read-only, sets up the shared state and middleware, and includes
one router per resource (`sharemap.web.routes`):
  /, /api/map            national county map with a date slider, search, totals    routes/home.py
  /search, /api/search   finding a place                                           routes/search.py
  /state/{ST}            stance, provisions with citations, agreements, growth      routes/state.py
  /county/{FIPS}         agreements, trace for each encounter, compare two dates    routes/county.py
  /agency/{id}           history, MOA terms with page references, MOA link          routes/agency.py
  /changes               changes on ICE's lists (page, JSON, Atom, CSV)             routes/changes.py
  /report/..., /methodology, /download/...   reports, trace, tables               routes/reports.py
  /api/sharing...        plate-reader sharing                                       routes/sharing.py
  /audit, /api/audit     upload a log; findings and summary                         routes/audit.py
  /sim, /api/sim/...     county simulations in the background                       routes/sim.py
A page and its JSON twin are one handler: `/county/48201` is HTML, `/api/counties/48201`,
`/county/48201?format=json` and `Accept: application/json` are its data as JSON.
Every page is readable without JavaScript; all static files are served by the app.

Hardening (issue 13): security headers on every answer, cross-origin POSTs refused (403), request
bodies timed (408) and uploads capped (413, also when chunked), simulation runs queued in a bounded
pool (429 + Retry-After), PDFs rendered in a bounded pool (503 + Retry-After), cache keys made of
the parameters a route knows only, and error answers that neither echo input nor name server paths.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sharemap.safety import limit as safety_limit
from sharemap.web import jobs as jobs_mod
from sharemap.web import upload as upload_mod
from sharemap.web.cache import ResponseCache
from sharemap.web.data import Site
from sharemap.web.geo import shapes
from sharemap.web.limits import BodyTimeout, UploadLimit
from sharemap.web.pdfpool import PdfPool
from sharemap.web.routes import ROUTERS
from sharemap.web.routes.common import WEB, Web, install_error_handlers, load_messages
from sharemap.web.security import SameOrigin, SecurityHeaders, server_roots


def create_app(db: Path | None = None, upload_limit: int | None = None) -> FastAPI:
    """The FastAPI app over the ledger at `db` (default: settings.db_path())."""
    from sharemap.settings import db_path

    site = Site(Path(db) if db else db_path())
    threading.Thread(target=shapes, daemon=True, name="sharemap-map").start()  # decode the map early
    limit = upload_mod.upload_limit_bytes(upload_limit)
    state = Web(
        site=site,
        templates=Jinja2Templates(directory=str(WEB.joinpath("templates"))),
        messages=load_messages(),
        jobs=jobs_mod.Jobs(site.db),
        pdf_pool=PdfPool(),
        upload_limit=limit,
        roots=server_roots([site.db.parent]),
    )
    upload_mod.remove_orphans()  # upload folders of servers that died
    upload_mod.remove_expired_kept()  # kept uploads past kept_upload_days

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        upload_mod.remove_all()  # uploads still being audited when the server stops
        state.pdf_pool.close()
        state.jobs.close()

    app = FastAPI(
        lifespan=lifespan,
        title="sharemap",
        version="0.1.0",
        description="How local law enforcement and ICE coordinate identity checks, and what is shared: "
        "287(g) agreements, traces, state law, reports. Every figure carries its source.",
        docs_url=None,  # Swagger UI needs a CDN; the OpenAPI description is at /openapi.json
        redoc_url=None,
    )
    app.add_middleware(GZipMiddleware, minimum_size=2000, compresslevel=5)
    app.add_middleware(ResponseCache)  # cached answers skip routing and compression
    app.add_middleware(UploadLimit, limit=limit)  # oversized uploads are refused unread
    app.add_middleware(BodyTimeout, timeout=safety_limit("body_timeout_s"))  # slow bodies: 408
    app.add_middleware(SameOrigin)  # cross-origin POST/PUT/PATCH/DELETE: 403
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries them
    app.mount("/static", StaticFiles(directory=str(WEB.joinpath("static"))), name="static")
    app.state.web = state
    app.state.site = site
    app.state.jobs = state.jobs
    app.state.pdf_pool = state.pdf_pool
    install_error_handlers(app)
    for router in ROUTERS:
        # the routes themselves, not an included router: each stays a plain APIRoute whose declared
        # query parameters the response cache reads (web/cache.route_query_params)
        app.router.routes.extend(router.routes)
    return app
