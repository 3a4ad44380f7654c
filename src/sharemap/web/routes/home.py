"""The national map: the home page (also `/api/map` as JSON), the slider's dates, the national
figures, the list-age note the slider swaps in, and `/embed` (the map alone, for an iframe).

Two layers: `agreements` (287(g) agreements by model, ICE's lists) and `sharing` (counties where a
public plate-reader portal lists organisations out of state or federal agencies, issue 16)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from sharemap.errors import InputError
from sharemap.ledger import geo
from sharemap.web.data import Site
from sharemap.web.geo import HEIGHT, WIDTH, shapes
from sharemap.web.routes.common import (
    Web,
    data_links,
    day_of,
    jsonable,
    lang_of,
    page_url,
    render,
    rows_csv,
    site_of,
    translator,
    wants_csv,
    wants_json,
    web,
)

router = APIRouter()
# the embeddable map may be framed by any site (every other answer: frame-ancestors 'none', security.py)
EMBED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)
LAYERS = ("agreements", "sharing")
SHARING_CLASSES = ("both", "out", "fed", "neither")  # out of state and federal, one, the other, none


def layer_of(layer: str | None) -> str:
    if not layer:
        return "agreements"
    if layer not in LAYERS:
        raise InputError("unknown map layer", field="layer", expected=" or ".join(LAYERS))
    return layer


def sharing_map(day: dt.date) -> dict[str, Any]:
    """The plate-reader sharing layer in the shape of /api/map: county FIPS -> both, out, fed or
    neither (a county without public portal data is absent: no data, not "no sharing")."""
    from sharemap.sharing.pages import map_layer

    raw = map_layer(day, level="county")
    counties = {}
    for fips, a in raw["areas"].items():
        out, fed = a["sharing_out_of_state"] > 0, a["sharing_federal"] > 0
        counties[fips] = "both" if out and fed else "out" if out else "fed" if fed else "neither"
    return {
        "layer": "sharing",
        "date": day.isoformat(),
        "as_of": raw["as_of"],
        "counties": counties,
        "counties_coloured": sum(1 for c in counties.values() if c != "neither"),
        "counties_with_data": len(counties),
        "unplaced": raw["unplaced"],
        "areas": raw["areas"],
        "source": raw["source"],
    }


def _svg_head(key: str, layer: str, m: dict[str, Any], t: Callable[[str], str]) -> str:
    """The map's title and description (for screen readers), in the page's language."""
    if layer == "sharing":
        title = t("map_title_sharing").format(date=key)
        desc = t("map_desc_sharing").format(
            with_data=m["counties_with_data"], as_of=m["as_of"] or key, coloured=m["counties_coloured"]
        )
    else:
        title = t("map_title_agreements").format(date=key)
        desc = t("map_desc_agreements").format(
            coloured=m.get("counties_coloured", 0), list_date=m["list_date"] or t("map_no_list")
        )
    return (
        f'<svg id="map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="map-title map-desc" '
        f'xmlns="http://www.w3.org/2000/svg" data-layer="{layer}"><title id="map-title">{title}</title>'
        f'<desc id="map-desc">{Markup.escape(desc)}</desc><g class="counties">'
    )


def layer_data(site: Site, day: dt.date, layer: str) -> dict[str, Any]:
    return sharing_map(day) if layer == "sharing" else site.map_for_date(day)


def map_svg(w: Web, day: dt.date, layer: str, lang: str) -> str:
    """The county map of a layer for `day` as inline SVG (drawn on the server; map.js only recolours
    it), titled in `lang`; kept in the app's small cache per layer, date and language."""
    site, cache, key = w.site, w.map_svg_cache, day.isoformat()
    memo = f"{layer}:{key}:{lang}"
    if memo in cache:
        return cache[memo]
    m = layer_data(site, day, layer)
    cat = m["counties"]
    prefix = "s-" if layer == "sharing" else "m-"
    sh = shapes()
    parts = [_svg_head(key, layer, m, translator(w, lang))]
    for fips, name, d in sh.counties:
        c = cat.get(fips)
        cls = f' class="{prefix}{c}"' if c else ""
        label = site.county_names.get(fips, name)
        parts.append(f'<path d="{d}" data-fips="{fips}"{cls}><title>{Markup.escape(label)}</title></path>')
    parts.append(f'</g><path class="borders" d="{sh.borders}"/></svg>')
    svg = "".join(parts)
    if len(cache) < 64:
        cache[memo] = svg
    return svg


def map_context(request: Request, day: dt.date, layer: str) -> dict[str, Any]:
    """What the home page and the embeddable map show for `day` and `layer`."""
    w = web(request)
    site = w.site
    return {
        "map_svg": Markup(map_svg(w, day, layer, lang_of(request))),
        "map": site.map_for_date(day),
        "layer_map": sharing_map(day) if layer == "sharing" else None,
        "layer": layer,
        "layers": LAYERS,
        "day": day,
        "dates": [d.isoformat() for d in site.list_dates],
        "date_index": max(0, sum(1 for d in site.list_dates if d <= day) - 1),
    }


@router.get("/api/map", tags=["ledger"])
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request,
    date: str | None = Query(None, description="YYYY-MM-DD; default: latest list"),
    layer: str | None = Query(None, description="agreements (default) or sharing (plate-reader networks)"),
) -> Response:
    """County FIPS -> 287(g) model category (JEM, TFM, WSO or several) in force on a date; with
    `layer=sharing`, county FIPS -> both, out, fed or neither: whether a public plate-reader portal
    there lists organisations out of state and/or federal agencies (absent: no portal data).
    The home page shows it as a map with a date slider, the counts and agreements by state."""
    site = site_of(request)
    lay = layer_of(layer)
    if wants_json(request):
        day = day_of(request, date) if date else site.latest
        if lay == "sharing":
            return JSONResponse(sharing_map(day))
        return JSONResponse({**site.map_for_date(day), "source": site.source})
    day = day_of(request, date)
    ctx = map_context(request, day, lay)
    with site.cursor() as cur:
        from sharemap.ledger import query

        by_state = query.stats(cur, by="state", as_of=day) if ctx["map"]["list_date"] else []
    if wants_csv(request):
        return rows_csv([jsonable(r) for r in by_state], f"sharemap-states-{day}.csv")
    return render(request, "home.html", by_state=by_state, **data_links(request), **ctx)


@router.get("/embed", response_class=HTMLResponse, include_in_schema=False)
def embed(request: Request, date: str | None = None, layer: str | None = None) -> Response:
    """The map alone, for other sites' pages (`<iframe src=".../embed?date=...&layer=...">`)."""
    day = day_of(request, date)
    ctx = map_context(request, day, layer_of(layer))
    resp = render(request, "embed.html", full_url=page_url(request).replace("/embed", "/", 1), **ctx)
    resp.headers["content-security-policy"] = EMBED_CSP
    return resp


@router.get("/fragments/freshness", response_class=HTMLResponse, include_in_schema=False)
def freshness_fragment(request: Request, date: str | None = None, state: str | None = None) -> Response:
    """The list-age note for a date, in the page's language (the map slider swaps it in)."""
    code = geo.state_code(state) if state else None
    return render(request, "freshness.html", f=site_of(request).freshness(day_of(request, date), code))


@router.get("/api/summary", tags=["ledger"])
def api_summary(request: Request) -> dict[str, Any]:
    """National headline figures from the ledger, with the source."""
    from sharemap.ledger import query

    site = site_of(request)
    with site.cursor() as cur:
        s = query.national_summary(cur)
    return {**jsonable(s), "source": site.source}


@router.get("/api/dates", tags=["ledger"])
def api_dates(request: Request) -> dict[str, Any]:
    """Dates of ICE's complete participating lists (the map slider's stops)."""
    site = site_of(request)
    return {"dates": [d.isoformat() for d in site.list_dates], "source": site.source}
