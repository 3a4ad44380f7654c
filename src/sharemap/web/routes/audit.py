"""Auditing an uploaded log: `/audit` (form and result page) and `POST /api/audit` (JSON).

The audit itself runs in the bounded audit pool (`upload.audit_pool`: audit_workers at once,
audit_queue waiting, 503 + Retry-After beyond).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from sharemap.errors import InputError
from sharemap.web import upload as upload_mod
from sharemap.web.routes.common import error_response, render, run_in_thread, states, web

router = APIRouter()


def parse_retention_days(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError(f"not a number of days: {text!r}", field="retention_days") from exc
    if value <= 0:
        raise InputError("retention days must be positive", field="retention_days")
    return value


async def save_upload(file: UploadFile, limit: int) -> upload_mod.PrivateUpload:
    """The upload streamed to a private file (0600) in its own folder; the caller removes it."""
    up = upload_mod.PrivateUpload(file.filename)
    try:
        await run_in_thread(up.write_from, file.file, limit)
    except BaseException:
        up.remove()
        raise
    finally:
        await file.close()
    return up


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_form(request: Request) -> Response:
    ok, why = upload_mod.audit_available()
    limit = web(request).upload_limit
    return render(request, "audit.html", available=ok, why=why, limit_mb=limit / 1024 / 1024, states=states())


@router.post("/audit", response_class=HTMLResponse, include_in_schema=False)
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
    days = parse_retention_days(retention_days)
    with await save_upload(file, web(request).upload_limit) as up:
        answer = await upload_mod.audit_pool().run(upload_mod.audit_upload, up, state or None, keep, days)
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


@router.post("/api/audit", tags=["audit"])
async def api_audit(request: Request, file: UploadFile = File(...), state: str = Form("")) -> dict[str, Any]:
    """Audit an uploaded log (deleted after the response); findings and summary, pseudonymised."""
    request.state.inputs = [state]
    ok, why = upload_mod.audit_available()
    if not ok:
        raise InputError(f"audit not available: {why}")
    with await save_upload(file, web(request).upload_limit) as up:
        answer = await upload_mod.audit_pool().run(upload_mod.audit_upload, up, state or None, False)
    return answer.result.model_dump(mode="json")
