"""Finding a place: `/search` (straight to the place a name settles on, else a results page),
`/api/search` (the same, as JSON) and `/api/suggest` (type-ahead)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from sharemap.errors import InputError
from sharemap.web.data import PAGE, hit_of
from sharemap.web.routes.common import render, site_of, wants_json

router = APIRouter()


@router.get("/search", include_in_schema=False)
@router.get("/api/search", tags=["places"])
def search(request: Request, q: str = Query("", max_length=200)) -> Response:
    """The places a name may mean, ranked: exact names first (most populous first), then close
    spellings. `decided` is the one place the name settles on (then the page goes straight to it),
    or null when it fits several (then the page lists them). Same resolver as the CLI."""
    found = site_of(request).find(q)
    data = found.to_dict() | {"results": [hit_of(c) for c in found.candidates]}
    if wants_json(request):
        if not found.query:
            raise InputError("empty search", field="q", expected="a place name, e.g. Harris County, TX")
        return JSONResponse(data)
    if found.place is not None:
        return RedirectResponse(PAGE[found.place.kind].format(found.place.key), status_code=303)
    return render(request, "search.html", q=q, hits=data["results"])


@router.get("/api/suggest", tags=["places"])
def suggest(request: Request, q: str = Query("", max_length=200), limit: int = Query(8, ge=1, le=20)) -> Any:
    """Type-ahead: places whose names begin with what was typed (most populous first), close spellings
    after them; served here, for the page's own script (no outside service)."""
    return {"q": q, "suggestions": site_of(request).suggest(q, limit)}
