"""The web app: server-rendered pages (Jinja2, light JavaScript) and a JSON API with OpenAPI.

`create_app(db)` opens the ledger read-only and serves:
  /                      national county map with a date slider, search, totals
  /state/{ST}            stance, provisions with citations, agreements, growth chart, report
  /county/{FIPS}         agreements, trace diagram for each encounter, compare two dates, report
  /agency/{id}           history, MOA terms with page references, MOA link
  /report/{kind}/{key}.{md,html,pdf,json}   the cited report
  /sim, /sim/jobs/{id}   run a county simulation in the background, compare two scenarios
  /audit                 upload a log; findings and summary; CSV or Parquet download
  /methodology           sources, licences, limits; /download/{table}.{csv,parquet}
  /api/...               the same data as JSON (see /openapi.json)
Every page is readable without JavaScript; all static files are served by the app.

Hardening (issue 13): security headers on every answer, cross-origin POSTs refused (403), request
bodies timed (408) and uploads capped (413, also when chunked), simulation runs queued in a bounded
pool (429 + Retry-After), PDFs rendered in a bounded pool (503 + Retry-After), cache keys made of
the parameters a route knows only, and error answers that neither echo input nor name server paths.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from sharemap.errors import InputError, NotFoundError, SharemapError
from sharemap.flows.graph import EdgeStatus
from sharemap.flows.trace import compare as compare_traces
from sharemap.flows.trace import format_seconds
from sharemap.kb.facts import Encounter
from sharemap.kb.model import Model287g
from sharemap.ledger import changes as change_log
from sharemap.ledger import geo
from sharemap.report.charts import MODEL_COLOURS, stacked_bars
from sharemap.report.render import (
    STATUS_COLOURS,
    diagram_html,
    report_css,
    to_html,
    to_html_fragment,
    to_markdown,
)
from sharemap.safety import limit as safety_limit
from sharemap.safety import spreadsheet_safe
from sharemap.web import jobs as jobs_mod
from sharemap.web import upload as upload_mod
from sharemap.web.cache import ResponseCache
from sharemap.web.data import Site
from sharemap.web.geo import HEIGHT, WIDTH, shapes
from sharemap.web.limits import BodyTimeout, Busy, TooLarge, UploadLimit, too_large_text
from sharemap.web.pdfpool import PdfPool
from sharemap.web.security import SameOrigin, SecurityHeaders, redact, scrub_paths, server_roots

WEB = files("sharemap.web")
MODEL_LABELS = {m.value: f"{m.label} ({m.short})" for m in Model287g}
LANGS = ("en", "es")
_NAME = re.compile(r"^([a-z_]+)\.(csv|parquet)$")
_REPORT_FILE = re.compile(r"^([A-Za-z0-9-]{1,120})\.(md|html|pdf|json)$")


def _messages() -> dict[str, dict[str, str]]:
    return {
        lang: json.loads(WEB.joinpath(f"messages/{lang}.json").read_text(encoding="utf-8")) for lang in LANGS
    }


def create_app(db: Path | None = None, upload_limit: int | None = None) -> FastAPI:
    """The FastAPI app over the ledger at `db` (default: settings.db_path())."""
    from sharemap.settings import db_path

    site = Site(Path(db) if db else db_path())
    threading.Thread(target=shapes, daemon=True, name="sharemap-map").start()  # decode the map early
    messages = _messages()
    templates = Jinja2Templates(directory=str(WEB.joinpath("templates")))
    limit = upload_mod.upload_limit_bytes(upload_limit)
    jobs = jobs_mod.Jobs(site.db)
    pdf_pool = PdfPool()
    roots = server_roots([site.db.parent])
    map_svg_cache: dict[str, str] = {}
    upload_mod.remove_orphans()  # upload folders of servers that died

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        upload_mod.remove_all()  # uploads still being audited when the server stops
        pdf_pool.close()
        jobs.close()

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

    @app.get("/report.css", include_in_schema=False)
    def report_stylesheet() -> Response:
        """The report's own styles, shared with the PDF and standalone HTML (one copy, in sharemap.report)."""
        return Response(report_css(), media_type="text/css")

    app.state.site = site
    app.state.jobs = jobs
    app.state.pdf_pool = pdf_pool

    # ---------------------------------------------------------------- helpers
    def lang_of(request: Request) -> str:
        q = request.query_params.get("lang")
        if q in LANGS:
            return q
        c = request.cookies.get("lang")
        return c if c in LANGS else "en"

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        msgs = messages[lang]

        def t(key: str) -> str:
            return msgs.get(key) or messages["en"].get(key, key)

        other = "es" if lang == "en" else "en"
        query = dict(request.query_params)
        query["lang"] = other
        switch = str(request.url.path) + "?" + urlencode(query)
        resp = templates.TemplateResponse(
            request,
            name,
            {
                "t": t,
                "lang": lang,
                "switch_url": switch,
                "colours": MODEL_COLOURS,
                "model_labels": MODEL_LABELS,
                **ctx,
            },
            status_code=status,
        )
        if request.query_params.get("lang") in LANGS:
            resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
        return resp

    def where(county: str | None, state: str | None, agency_id: str | None) -> tuple[str, str]:
        """The place a request names: a county, an agency or a state (in that order of precedence)."""
        if county:
            return "county", site.target("county", county).key
        if agency_id:
            return "agency", agency_id
        if state:
            return "state", site.target("state", state).key
        raise InputError("say where", field="county/state/agency_id", expected="one of them")

    def day_of(date: str | None) -> dt.date:
        return site.parse_date(date)

    def _opt_day(date: str | None) -> dt.date | None:
        return site.parse_date(date) if date else None

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def sim_runs(ids: list[str]) -> list[Any]:
        """The report inputs of finished background runs named by `?sim=<job id>` (404 if unknown)."""
        runs: list[Any] = []
        if len(ids) > 4:
            raise InputError(f"{len(ids)} simulation runs named", field="sim", expected="at most 4")
        for job_id in ids:
            job = jobs.get(job_id)
            if job is None:
                raise NotFoundError(
                    f"no simulation run {job_id!r} (runs are kept in memory only)",
                    field="sim",
                    expected="the id of a finished run from /sim",
                )
            runs.extend(jobs_mod.report_runs(job))
        return runs

    def sim_query(ids: list[str]) -> str:
        return "".join("&" + urlencode({"sim": x}) for x in ids)

    def client_values(request: Request) -> list[str]:
        """What the client sent that an error text might quote: path, query and form values."""
        values = [str(v) for v in request.path_params.values()]
        values += [v for _, v in request.query_params.multi_items()]
        values += [str(v) for v in getattr(request.state, "inputs", ())]
        return values

    def clean(value: Any, request: Request, api: bool) -> Any:
        if isinstance(value, str):
            text = scrub_paths(value, roots)  # no server folder in any answer
            return redact(text, client_values(request)) if api else text  # JSON never echoes input
        if isinstance(value, list):
            return [clean(v, request, api) for v in value]
        return value

    def error_response(
        request: Request,
        status: int,
        message: str,
        detail: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> Response:
        api = is_api(request)
        message = clean(message, request, api)
        detail = {k: clean(v, request, api) for k, v in detail.items()}
        if api:
            return JSONResponse({"error": message, **detail}, status_code=status, headers=headers)
        resp = render(
            request, "error.html", status=status, status_code=status, message=message, detail=detail
        )
        resp.headers.update(headers or {})
        return resp

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> Response:
        return error_response(
            request,
            exc.status,
            exc.message,
            {"expected": exc.expected, "retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(SharemapError)
    async def _sharemap_error(request: Request, exc: SharemapError) -> Response:
        status = 404 if isinstance(exc, NotFoundError) else 400
        detail = {"field": exc.field, "expected": exc.expected} if hasattr(exc, "field") else {}
        return error_response(request, status, exc.describe(), {k: v for k, v in detail.items() if v})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errs = [f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        return error_response(request, 422, "invalid request", {"errors": errs})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail), {})

    def map_svg(day: dt.date) -> str:
        key = day.isoformat()
        if key in map_svg_cache:
            return map_svg_cache[key]
        m = site.map_for_date(day)
        cat = m["counties"]
        sh = shapes()
        parts = [
            f'<svg id="map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="map-title map-desc" '
            'xmlns="http://www.w3.org/2000/svg">',
            f'<title id="map-title">287(g) agreements by county, {key}</title>',
            f'<desc id="map-desc">{m.get("counties_coloured", 0)} counties have an agreement of an agency '
            f"placed there on ICE's list of {m['list_date'] or '(none: before the first list held)'}.</desc>"
            '<g class="counties">',
        ]
        for fips, name, d in sh.counties:
            c = cat.get(fips)
            cls = f' class="m-{c}"' if c else ""
            label = site.county_names.get(fips, name)
            parts.append(
                f'<path d="{d}" data-fips="{fips}"{cls}><title>{Markup.escape(label)}</title></path>'
            )
        parts.append(f'</g><path class="borders" d="{sh.borders}"/></svg>')
        svg = "".join(parts)
        if len(map_svg_cache) < 64:
            map_svg_cache[key] = svg
        return svg

    # ---------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, date: str | None = None) -> Response:
        day = day_of(date)
        m = site.map_for_date(day)
        with site.cursor() as cur:
            from sharemap.ledger import query

            by_state = query.stats(cur, by="state", as_of=day) if m["list_date"] else []
        return render(
            request,
            "home.html",
            map_svg=Markup(map_svg(day)),
            map=m,
            day=day,
            dates=[d.isoformat() for d in site.list_dates],
            date_index=max(0, sum(1 for d in site.list_dates if d <= day) - 1),
            by_state=by_state,
        )

    @app.get("/fragments/freshness", response_class=HTMLResponse, include_in_schema=False)
    def freshness_fragment(request: Request, date: str | None = None, state: str | None = None) -> Response:
        """The list-age note for a date, in the page's language (the map slider swaps it in)."""
        code = geo.state_code(state) if state else None
        return render(request, "freshness.html", f=site.freshness(day_of(date), code))

    def change_query(since: str | None, until: str | None, state: str | None) -> tuple[Any, ...]:
        """The window (default: the 90 days before today) and state of a changes request."""
        end = day_of(until) if until else dt.date.today()
        start = day_of(since) if since else end - dt.timedelta(days=90)
        code = geo.state_code(state) if state and state.strip() else None
        return start, end, code, site.changes(start, end, code)

    @app.get("/changes", response_class=HTMLResponse, include_in_schema=False)
    def changes_page(
        request: Request, since: str | None = None, until: str | None = None, state: str | None = None
    ) -> Response:
        start, end, code, items = change_query(since, until, state)
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
        )

    @app.get("/changes.atom", include_in_schema=False)
    def changes_feed(
        request: Request, since: str | None = None, until: str | None = None, state: str | None = None
    ) -> Response:
        start, end, code, items = change_query(since, until, state)
        base = str(request.base_url)
        title = f"Changes on ICE's 287(g) lists{' in ' + code if code else ''}, {start} to {end}"
        xml = change_log.to_atom(items, title, base, change_log.feed_url(base, start, end, code))
        return Response(xml, media_type="application/atom+xml")

    @app.get("/changes.csv", include_in_schema=False)
    def changes_csv(since: str | None = None, until: str | None = None, state: str | None = None) -> Response:
        start, end, code, items = change_query(since, until, state)
        name = f"changes-{code or 'US'}-{start}-{end}.csv"
        return Response(
            change_log.to_csv(items),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request, q: str = "") -> Response:
        hits = site.search(q)
        if hits and (len(hits) == 1 or (hits[0]["kind"] in ("state", "county") and _exactish(q, hits[0]))):
            return RedirectResponse(hits[0]["url"], status_code=303)
        return render(request, "search.html", q=q, hits=hits)

    @app.get("/state/{code}", response_class=HTMLResponse, include_in_schema=False)
    def state_page(request: Request, code: str, date: str | None = None) -> Response:
        day = day_of(date)
        data = site.state(code.upper(), day)
        g = data["growth"]
        chart = (
            stacked_bars(g["labels"], g["series"], f"287(g) agreements in force: {data['name']}")
            if g["labels"]
            else ""
        )
        report = site.report("state", data["state"], day)
        return render(
            request,
            "state.html",
            d=data,
            day=day,
            chart=Markup(chart),
            report=Markup(to_html_fragment(report)),
            report_key=data["state"],
        )

    @app.get("/county/{fips}", response_class=HTMLResponse, include_in_schema=False)
    def county_page(
        request: Request,
        fips: str,
        date: str | None = None,
        compare_date: str | None = None,
        sim: list[str] = Query(default=[]),
    ) -> Response:
        day = day_of(date)
        data = site.county(fips, day)
        runs = sim_runs(sim)
        traces = site.traces("county", data["fips"], day)
        blocks = []
        for enc, t in traces.items():
            name = site.kb.encounters[enc].name if enc in site.kb.encounters else enc.value
            blocks.append(
                {
                    "id": enc.value,
                    "name": name,
                    "summary": t.summary(),
                    "diagram": Markup(diagram_html([_diag(site, p) for p in t.paths])),
                    "reaching": sum(1 for p in t.paths if p.reaches_ice),
                    "paths": len(t.paths),
                }
            )
        cmp = None
        if compare_date:
            day_b = day_of(compare_date)
            tb = site.traces("county", data["fips"], day_b)
            changes = []
            for enc in Encounter:
                c = compare_traces(traces[enc], tb[enc], label_a=day.isoformat(), label_b=day_b.isoformat())
                for ch in c.changes:
                    changes.append(
                        {
                            "encounter": enc.value,
                            "path": ch.path,
                            "before": ch.before.value if ch.before else "—",
                            "after": ch.after.value if ch.after else "—",
                            "why": ch.reason_after or ch.reason_before,
                        }
                    )
            cmp = {"a": day.isoformat(), "b": day_b.isoformat(), "changes": changes}
        report = site.report_with_runs("county", data["fips"], day, runs)
        return render(
            request,
            "county.html",
            d=data,
            day=day,
            blocks=blocks,
            cmp=cmp,
            report=Markup(to_html_fragment(report)),
            status_colours=STATUS_COLOURS,
            sim_query=sim_query(sim),
        )

    @app.get("/agency/{agency_id}", response_class=HTMLResponse, include_in_schema=False)
    def agency_page(request: Request, agency_id: str) -> Response:
        data = site.agency(agency_id)
        return render(request, "agency.html", d=data)

    @app.get("/methodology", response_class=HTMLResponse, include_in_schema=False)
    def methodology(request: Request) -> Response:
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

    @app.get("/download/{name}", include_in_schema=False)
    def download(name: str) -> Response:
        m = _NAME.match(name)
        if not m or m.group(1) not in site.tables:
            raise NotFoundError(f"no downloadable table {name!r}", expected="a name listed on /methodology")
        data = site.table_bytes(m.group(1), m.group(2))
        mime = "text/csv; charset=utf-8" if m.group(2) == "csv" else "application/vnd.apache.parquet"
        return Response(
            data, media_type=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @app.get("/report/{kind}/{file}", include_in_schema=False)
    async def report_file(
        kind: str, file: str, date: str | None = None, sim: list[str] = Query(default=[])
    ) -> Response:
        m = _REPORT_FILE.match(file)
        if kind not in ("county", "state", "agency", "nation") or not m:
            raise NotFoundError(f"no report {kind}/{file}", expected="/report/county/48201.html")
        key, fmt = m.groups()
        day = day_of(date)
        rep = await _run_in_thread(lambda: site.report_with_runs(kind, key, day, sim_runs(sim)))
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
            pdf = await pdf_pool.render((kind, key, day, tuple(sim)), lambda: to_pdf(rep))
            return Response(
                pdf,
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
            )
        return HTMLResponse(to_html(rep))

    # ---------------------------------------------------------------- audit
    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_form(request: Request) -> Response:
        ok, why = upload_mod.audit_available()
        return render(
            request, "audit.html", available=ok, why=why, limit_mb=limit / 1024 / 1024, states=_states()
        )

    async def _save_upload(file: UploadFile) -> upload_mod.PrivateUpload:
        """The upload streamed to a private file (0600) in its own folder; the caller removes it."""
        up = upload_mod.PrivateUpload(file.filename)
        try:
            await _run_in_thread(up.write_from, file.file, limit)
        except BaseException:
            up.remove()
            raise
        finally:
            await file.close()
        return up

    @app.post("/audit", response_class=HTMLResponse, include_in_schema=False)
    async def audit_post(
        request: Request,
        file: UploadFile = File(...),
        state: str = Form(""),
        keep: bool = Form(False),
        retention_days: str = Form(""),
    ) -> Response:
        request.state.inputs = [state, retention_days]
        ok, why = upload_mod.audit_available()
        if not ok:
            return error_response(request, 503, why, {})
        days = _days(retention_days)
        with await _save_upload(file) as up:
            answer = await _run_in_thread(upload_mod.audit_upload, up, state or None, keep, days)
        return render(
            request,
            "audit_result.html",
            r=answer.result,
            immigration=sum(1 for f in answer.result.findings if f.rule_id.startswith("immigration")),
            csv_url=answer.csv_url,
            parquet_url=answer.parquet_url,
            kept=answer.kept,
            filename=upload_mod.safe_name(file.filename),
        )

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge) -> Response:
        return error_response(
            request,
            413,
            too_large_text(exc.limit),
            {"expected": "a smaller file, or raise SHAREMAP_MAX_UPLOAD_MB"},
        )

    # ---------------------------------------------------------------- simulation
    @app.get("/sim", response_class=HTMLResponse, include_in_schema=False)
    def sim_page(request: Request, county: str | None = None) -> Response:
        ok, why = jobs_mod.sim_available()
        return render(
            request,
            "sim.html",
            county=site.county_names.get(county or "", county or "Collier County, FL"),
            available=ok,
            why=why,
            scenarios=jobs_mod.scenario_names(),
            max_reps=jobs_mod.MAX_REPLICATES,
        )

    @app.post("/sim", include_in_schema=False)
    def sim_post(
        request: Request,
        county: str = Form(...),
        scenario_a: str = Form("baseline"),
        scenario_b: str = Form(""),
        replicates: int = Form(5),
    ) -> Response:
        job = _start_job(request, county, scenario_a, scenario_b, replicates)
        return RedirectResponse(f"/sim/jobs/{job.id}", status_code=303)

    def _start_job(request: Request, county: str, a: str, b: str, reps: int) -> jobs_mod.Job:
        """Queue a run for this client (Busy, answered 429, beyond the per-client or total limit)."""
        request.state.inputs = [county, a, b]
        ok, why = jobs_mod.sim_available()
        if not ok:
            raise InputError(f"simulation not available: {why}")
        c = geo.county_by_name(county)
        client = request.client.host if request.client else ""
        return jobs.start(c.fips, a, b or None, reps, client=client)

    @app.get("/sim/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def sim_job_page(request: Request, job_id: str) -> Response:
        job = jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no simulation run {job_id!r} (runs are kept in memory only)")
        d = job.to_dict()
        return render(
            request,
            "sim_job.html",
            job=d,
            chart=Markup(d["result"]["chart_svg"]) if d["result"] else "",
            county=site.county_names.get(job.county, job.county),
        )

    # ---------------------------------------------------------------- JSON API
    @app.get("/api/summary", tags=["ledger"])
    def api_summary() -> dict[str, Any]:
        """National headline figures from the ledger, with the source."""
        from sharemap.ledger import query

        with site.cursor() as cur:
            s = query.national_summary(cur)
        return {**_jsonable(s), "source": site.source}

    @app.get("/api/changes", tags=["ledger"])
    def api_changes(
        since: str | None = Query(None, description="YYYY-MM-DD; default 90 days before `until`"),
        until: str | None = Query(None, description="YYYY-MM-DD; default today"),
        state: str | None = Query(None, description="two-letter code or state name"),
    ) -> dict[str, Any]:
        """Agreements added, ended, renewed, renamed, model changes and pending requests, with evidence."""
        start, end, code, items = change_query(since, until, state)
        return {
            "since": start.isoformat(),
            "until": end.isoformat(),
            "state": code,
            "freshness": site.freshness(end, code),
            "changes": [c.model_dump(mode="json") for c in items],
            "source": site.source,
        }

    @app.get("/api/sharing", tags=["sharing"])
    def api_sharing(
        state: str | None = Query(None, description="two-letter code or state name"),
        agency: str | None = Query(None, description="agency name or part of it"),
        as_of: str | None = Query(None, description="YYYY-MM-DD; newest portal snapshot on or before"),
    ) -> dict[str, Any]:
        """Each portal's newest snapshot: who it shares its plate-reader network with, by class, findings."""
        from sharemap.sharing import reviews

        if state is None and agency is None:
            raise InputError("say which agencies", field="state/agency", expected="state or agency")
        found = reviews(state=geo.state_code(state) if state else None, agency=agency, as_of=_opt_day(as_of))
        return {"reviews": [r.to_dict() for r in found], "source": "agencies' transparency portals"}

    @app.get("/api/sharing/findings", tags=["sharing"])
    def api_sharing_findings(
        state: str | None = Query(None, description="two-letter code or state name"),
        as_of: str | None = Query(None, description="YYYY-MM-DD"),
    ) -> dict[str, Any]:
        """Plate-reader sharing the law bars, as portals and network audits record it, with citations."""
        from sharemap.sharing import findings

        found = findings(state=geo.state_code(state) if state else None, as_of=_opt_day(as_of))
        return {"findings": [f.to_dict() for f in found]}

    @app.get("/sharing/findings.csv", include_in_schema=False)
    def sharing_findings_csv(state: str | None = None, as_of: str | None = None) -> Response:
        from sharemap.sharing import findings

        found = findings(state=geo.state_code(state) if state else None, as_of=_opt_day(as_of))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["state", "agency", "date", "finding", "organisations", "provisions", "text", "source"])
        for f in found:
            cites = "; ".join(p.citation for p in f.provisions)
            row = [f.state, f.agency, f.date.isoformat(), f.rule, len(f.orgs), cites, f.text, f.source]
            w.writerow([spreadsheet_safe(v) for v in row])
        name = f"sharing-findings-{state or 'US'}.csv"
        return Response(
            buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/api/dates", tags=["ledger"])
    def api_dates() -> dict[str, Any]:
        """Dates of ICE's complete participating lists (the map slider's stops)."""
        return {"dates": [d.isoformat() for d in site.list_dates], "source": site.source}

    @app.get("/api/map", tags=["ledger"])
    def api_map(
        date: str | None = Query(None, description="YYYY-MM-DD; default: latest list"),
    ) -> dict[str, Any]:
        """County FIPS -> 287(g) model category (JEM, TFM, WSO or several) in force on a date."""
        day = day_of(date) if date else site.latest
        return {**site.map_for_date(day), "source": site.source}

    @app.get("/api/search", tags=["places"])
    def api_search(q: str = Query(..., min_length=1, max_length=200)) -> dict[str, Any]:
        """Agencies, counties and states matching a name."""
        return {"q": q, "results": site.search(q)}

    @app.get("/api/states/{code}", tags=["places"])
    def api_state(code: str, date: str | None = None) -> dict[str, Any]:
        """A state's stance, provisions (with sources), agreements in force and growth by quarter."""
        return site.state(code.upper(), day_of(date))

    @app.get("/api/counties/{fips}", tags=["places"])
    def api_county(fips: str, date: str | None = None) -> dict[str, Any]:
        """A county's agreements in force and ever listed."""
        return site.county(fips, day_of(date))

    @app.get("/api/agencies/{agency_id}", tags=["places"])
    def api_agency(agency_id: str) -> dict[str, Any]:
        """An agency's history, pending requests and MOA terms with page references."""
        return site.agency(agency_id)

    @app.get("/api/trace", tags=["trace"])
    def api_trace(
        county: str | None = None,
        state: str | None = None,
        agency_id: str | None = None,
        event: Encounter = Encounter.BOOKING,
        date: str | None = None,
    ) -> dict[str, Any]:
        """Every path by which data from an encounter reaches ICE, with the law's ruling on each hop."""
        kind, key = where(county, state, agency_id)
        day = day_of(date)
        target = site.target(kind, key)
        fresh = site.freshness(day, None if target.kind == "nation" else target.state)
        return {**site.traces(kind, key, day)[event].to_dict(), "freshness": fresh}

    @app.get("/api/report", tags=["report"])
    def api_report(
        county: str | None = None,
        state: str | None = None,
        agency_id: str | None = None,
        nation: bool = False,
        date: str | None = None,
        sim: list[str] = Query(default=[]),
    ) -> dict[str, Any]:
        """The cited report as JSON: sections of sentences with citation numbers, and the references.
        `sim`: ids of finished simulation runs of the same place (SYNTHETIC outputs added, cited)."""
        kind, key = ("nation", "US") if nation else where(county, state, agency_id)
        return site.report_with_runs(kind, key, day_of(date), sim_runs(sim)).to_dict()

    @app.post("/api/audit", tags=["audit"])
    async def api_audit(
        request: Request, file: UploadFile = File(...), state: str = Form("")
    ) -> dict[str, Any]:
        """Audit an uploaded log (deleted after the response); findings and summary, pseudonymised."""
        request.state.inputs = [state]
        ok, why = upload_mod.audit_available()
        if not ok:
            raise InputError(f"audit not available: {why}")
        with await _save_upload(file) as up:
            answer = await _run_in_thread(upload_mod.audit_upload, up, state or None, False)
        return answer.result.model_dump(mode="json")

    @app.get("/api/sim/scenarios", tags=["simulation"])
    def api_scenarios() -> dict[str, Any]:
        ok, why = jobs_mod.sim_available()
        return {"available": ok, "reason": why or None, "scenarios": jobs_mod.scenario_names()}

    @app.post(
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
        return _start_job(request, county, scenario_a, scenario_b, replicates).to_dict()

    @app.get("/api/sim/jobs/{job_id}", tags=["simulation"])
    def api_sim_job(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no simulation run {job_id!r}")
        return job.to_dict()

    return app


async def _run_in_thread(fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _days(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError(f"not a number of days: {text!r}", field="retention_days") from exc
    if value <= 0:
        raise InputError("retention days must be positive", field="retention_days")
    return value


def _exactish(q: str, hit: dict[str, str]) -> bool:
    a = re.sub(r"[^a-z0-9]", "", q.lower())
    b = re.sub(r"[^a-z0-9]", "", hit["label"].lower().replace("(state)", ""))
    return a == b or a == hit["key"].lower() or len(a) >= 4


def _diag(site: Site, p: Any) -> dict[str, Any]:
    kb = site.kb
    return {
        "status": p.status.value,
        "systems": [kb.systems[s].name if s in kb.systems else s for s in p.systems()],
        "channels": [kb.channels[c].name for c in p.channels],
        "elements": len(p.elements),
        "latency": format_seconds(p.latency_seconds) if p.status is not EdgeStatus.INACTIVE else "",
    }


def _states() -> list[str]:
    from sharemap.law.overview import STATES

    return list(STATES)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v
