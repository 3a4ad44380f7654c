"""What every router shares: the app's state (`Web`), page rendering, JSON negotiation, dates,
places, simulation runs named by `?sim=`, and the error answers (one place, for pages and JSON).

Handlers are module-level functions that reach the state through `web(request)`, so a router is a
plain list of routes and `create_app` only assembles them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from sharemap.errors import InputError, NotFoundError, SharemapError
from sharemap.kb.model import Model287g
from sharemap.report.charts import MODEL_COLOURS
from sharemap.web import jobs as jobs_mod
from sharemap.web.data import Site
from sharemap.web.limits import Busy, TooLarge, too_large_text
from sharemap.web.pdfpool import PdfPool
from sharemap.web.security import redact, scrub_paths

WEB = files("sharemap.web")
MODEL_LABELS = {m.value: f"{m.label} ({m.short})" for m in Model287g}
LANGS = ("en", "es")
JSON_TYPE = "application/json"


def load_messages() -> dict[str, dict[str, str]]:
    """The interface text of each language (web/messages/<lang>.json, the same keys)."""
    return {
        lang: json.loads(WEB.joinpath(f"messages/{lang}.json").read_text(encoding="utf-8")) for lang in LANGS
    }


@dataclass
class Web:
    """The state one app's handlers share (kept on `app.state.web`)."""

    site: Site
    templates: Jinja2Templates
    messages: dict[str, dict[str, str]]
    jobs: jobs_mod.Jobs
    pdf_pool: PdfPool
    upload_limit: int
    roots: list[tuple[str, str]]  # server folders and what answers call them
    map_svg_cache: dict[str, str] = field(default_factory=dict)


def web(request: Request) -> Web:
    state: Web = request.app.state.web
    return state


def site_of(request: Request) -> Site:
    return web(request).site


# ---------------------------------------------------------------- language and rendering
def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get("lang")
    return c if c in LANGS else "en"


def translator(w: Web, lang: str) -> Any:
    msgs = w.messages[lang]

    def t(key: str) -> str:
        return msgs.get(key) or w.messages["en"].get(key, key)

    return t


def value_translator(w: Web, lang: str) -> Any:
    """`tv(kind, value)`: a data value (a status, an effect, a stance) in the page's language,
    from the key `<kind>_<value>` of the catalogue; the value itself when the catalogue has none."""
    msgs, en = w.messages[lang], w.messages["en"]

    def tv(kind: str, value: Any) -> str:
        if value is None:
            return "—"
        key = f"{kind}_{value}"
        return msgs.get(key) or en.get(key) or str(value).replace("_", " ")

    return tv


def page_url(request: Request, **changes: str | None) -> str:
    """This page's URL with some query parameters replaced (None: removed)."""
    query = {k: v for k, v in request.query_params.multi_items() if k not in changes}
    query.update({k: v for k, v in changes.items() if v is not None})
    return str(request.url.path) + ("?" + urlencode(query) if query else "")


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page in the request's language; `?lang=` also keeps the choice in a cookie."""
    w = web(request)
    lang = lang_of(request)
    other = "es" if lang == "en" else "en"
    query = dict(request.query_params)
    query["lang"] = other
    switch = str(request.url.path) + "?" + urlencode(query)
    resp = w.templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(w, lang),
            "tv": value_translator(w, lang),
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


def wants_json(request: Request) -> bool:
    """JSON for /api/... URLs, `?format=json`, or a client that asks for JSON first (Accept)."""
    if request.url.path.startswith("/api/") or request.query_params.get("format") == "json":
        return True
    return request.headers.get("accept", "").lstrip().startswith(JSON_TYPE)


def json_link(request: Request) -> str:
    """The link to this page's data as JSON (same URL, `format=json`)."""
    return page_url(request, format="json", lang=None)


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def collapsed(request: Request, html: str, summary_key: str, element_id: str) -> Markup:
    """Long page content behind a summary line (details/summary: closed, still searchable)."""
    summary = escape(translator(web(request), lang_of(request))(summary_key))
    return Markup(f'<details class="long" id="{element_id}"><summary>{summary}</summary>{html}</details>')


def data_links(request: Request) -> dict[str, Any]:
    """The page's data as JSON and its main table as CSV (base.html shows both links)."""
    return {"data_json": json_link(request), "data_csv": page_url(request, format="csv", lang=None)}


def rows_csv(rows: list[dict[str, Any]], name: str) -> Response:
    """Table rows (dicts of plain values) as a spreadsheet-safe CSV download."""
    import csv
    import io

    from sharemap.safety import spreadsheet_safe

    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(r))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow([spreadsheet_safe(_cell(r.get(c))) for c in columns])
    return csv_response(buf.getvalue(), name)


def _cell(v: Any) -> Any:
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else v


# ---------------------------------------------------------------- inputs
def day_of(request: Request, date: str | None) -> dt.date:
    return site_of(request).parse_date(date)


def opt_day(request: Request, date: str | None) -> dt.date | None:
    return site_of(request).parse_date(date) if date else None


def where(site: Site, county: str | None, state: str | None, agency_id: str | None) -> tuple[str, str]:
    """The place a request names: a county, an agency or a state (in that order of precedence)."""
    if county:
        return "county", site.target("county", county).key
    if agency_id:
        return "agency", agency_id
    if state:
        return "state", site.target("state", state).key
    raise InputError("say where", field="county/state/agency_id", expected="one of them")


def sim_runs(request: Request, ids: list[str]) -> list[Any]:
    """The report inputs of finished background runs named by `?sim=<job id>` (404 if unknown)."""
    jobs = web(request).jobs
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


def states() -> list[str]:
    from sharemap.law.overview import STATES

    return list(STATES)


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


async def run_in_thread(fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def csv_response(body: str | bytes, name: str) -> Response:
    """A CSV download named `name`."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def file_stem(*parts: str) -> str:
    return "-".join(_SAFE_NAME.sub("", p) for p in parts if p)


# ---------------------------------------------------------------- errors
def _client_values(request: Request) -> list[str]:
    """What the client sent that an error text might quote: path, query and form values."""
    values = [str(v) for v in request.path_params.values()]
    values += [v for _, v in request.query_params.multi_items()]
    values += [str(v) for v in getattr(request.state, "inputs", ())]
    return values


def _clean(value: Any, request: Request, api: bool) -> Any:
    if isinstance(value, str):
        text = scrub_paths(value, web(request).roots)  # no server folder in any answer
        return redact(text, _client_values(request)) if api else text  # JSON never echoes input
    if isinstance(value, list):
        return [_clean(v, request, api) for v in value]
    return value


def error_response(
    request: Request,
    status: int,
    message: str,
    detail: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as JSON (`{"error", "field", "expected"}`) or as the error page, never echoing input."""
    api = wants_json(request)
    message = _clean(message, request, api)
    detail = {k: _clean(v, request, api) for k, v in detail.items()}
    if api:
        return JSONResponse({"error": message, **detail}, status_code=status, headers=headers)
    resp = render(request, "error.html", status=status, status_code=status, message=message, detail=detail)
    resp.headers.update(headers or {})
    return resp


async def _busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Busy)
    return error_response(
        request,
        exc.status,
        exc.message,
        {"expected": exc.expected, "retry_after": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _sharemap_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFoundError) else 400
    fields = ("field", "expected")
    detail = {k: getattr(exc, k, None) for k in fields} if hasattr(exc, "field") else {}
    describe = exc.describe() if isinstance(exc, SharemapError) else str(exc)
    return error_response(request, status, describe, {k: v for k, v in detail.items() if v})


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errs = [f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
    return error_response(request, 422, "invalid request", {"errors": errs})


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(request, exc.status_code, str(exc.detail), {})


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TooLarge)
    return error_response(
        request,
        413,
        too_large_text(exc.limit),
        {"expected": "a smaller file, or raise SHAREMAP_MAX_UPLOAD_MB"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(SharemapError, _sharemap_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(TooLarge, _too_large)
