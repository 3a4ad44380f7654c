"""One handler per resource (issue 14.4) and sharing views (issue 15.5): a page and its JSON twin,
CSV per page, the view in the URL, the embeddable map, the plate-reader sharing layer, Spanish."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from importlib.resources import files

from fastapi.testclient import TestClient


def test_a_page_and_its_json_are_one_handler(client: TestClient) -> None:
    api = client.get("/api/counties/48201", params={"date": "2025-06-30"}).json()
    assert client.get("/county/48201", params={"date": "2025-06-30", "format": "json"}).json() == api
    page = client.get("/county/48201", params={"date": "2025-06-30"})
    assert page.headers["content-type"].startswith("text/html")
    # the same URL asked for JSON (Accept) is cached apart from the page
    accept = client.get("/county/48201?date=2025-06-30", headers={"Accept": "application/json"})
    assert accept.json() == api
    assert client.get("/county/48201?date=2025-06-30").text == page.text
    assert client.get("/state/MD", params={"format": "json"}).json() == client.get("/api/states/MD").json()
    agency = "ok-canadian-county-sheriff-office"
    assert client.get(f"/agency/{agency}?format=json").json() == client.get(f"/api/agencies/{agency}").json()
    assert client.get("/?format=json&date=2025-06-30").json() == client.get("/api/map?date=2025-06-30").json()
    changes = client.get("/api/changes", params={"since": "2025-01-01", "until": "2025-06-30"}).json()
    assert changes["changes"]
    same = client.get("/changes", params={"since": "2025-01-01", "until": "2025-06-30", "format": "json"})
    assert same.json() == changes
    # errors of a page asked as JSON are JSON
    r = client.get("/county/99999?format=json")
    assert r.status_code == 404 and "error" in r.json()


def test_every_data_page_links_its_json_and_csv(client: TestClient) -> None:
    page = client.get("/county/48201", params={"date": "2025-06-30"}).text
    assert 'id="data-links"' in page
    assert 'href="/county/48201?date=2025-06-30&amp;format=json"' in page
    assert 'href="/county/48201?date=2025-06-30&amp;format=csv"' in page
    r = client.get("/county/48201", params={"date": "2025-06-30", "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    data = client.get("/api/counties/48201", params={"date": "2025-06-30"}).json()
    assert [x["agency_name"] for x in rows] == [a["agency_name"] for a in data["agreements_in_force"]]
    assert rows and {"agency_id", "model", "first_seen", "last_seen"} <= set(rows[0])
    states = list(csv.DictReader(io.StringIO(client.get("/?date=2025-06-30&format=csv").text)))
    assert any(s["state"] == "TX" and int(s["total"]) > 50 for s in states)
    tx = list(csv.DictReader(io.StringIO(client.get("/state/TX?date=2025-06-30&format=csv").text)))
    assert len(tx) == len(client.get("/api/states/TX?date=2025-06-30").json()["agreements_in_force"])
    for url in ("/", "/state/TX", "/agency/ok-canadian-county-sheriff-office", "/changes"):
        assert 'id="data-links"' in client.get(url).text, url


def test_long_lists_are_collapsed_on_the_texas_page(client: TestClient) -> None:
    page = client.get("/state/TX", params={"date": "2025-06-30"}).text
    assert '<details class="long" id="report-all">' in page  # the report, closed
    assert '<details class="long agreements">' in page  # over 20 agreements, closed
    assert '<details class="long counties">' in page  # over 30 counties, closed
    small = client.get("/county/48201", params={"date": "2025-06-30"}).text
    assert 'class="long agreements"' not in small  # a short table stays open


def test_embeddable_map(client: TestClient) -> None:
    r = client.get("/embed", params={"date": "2025-06-30"})
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["content-security-policy"]
    assert 'id="map"' in r.text and 'class="site"' not in r.text  # the map, no site header
    assert 'href="/?date=2025-06-30"' in r.text  # a link back to the full view
    home = client.get("/", params={"date": "2025-06-30"})
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]  # only /embed is framable
    assert "embed?date=2025-06-30" in home.text  # the snippet on the home page


def test_sharing_layer(client: TestClient) -> None:
    from sharemap.sharing.pages import map_layer

    data = client.get("/api/map", params={"date": "2026-06-01", "layer": "sharing"}).json()
    raw = map_layer(dt.date(2026, 6, 1), level="county")
    assert data["layer"] == "sharing" and set(data["counties"]) == set(raw["areas"])
    for fips, cat in data["counties"].items():
        a = raw["areas"][fips]
        out, fed = a["sharing_out_of_state"] > 0, a["sharing_federal"] > 0
        assert cat == ("both" if out and fed else "out" if out else "fed" if fed else "neither"), fips
    assert data["counties_coloured"] == sum(1 for c in data["counties"].values() if c != "neither") > 0
    page = client.get("/", params={"date": "2026-06-01", "layer": "sharing"}).text
    assert page.count('class="s-') == len(data["counties"])
    assert 'data-layer="sharing"' in page and 'id="legend-sharing"' in page
    assert '<option value="sharing" selected>' in page
    assert client.get("/?layer=nope").status_code == 400
    assert client.get("/api/sharing/map", params={"level": "county", "as_of": "2026-06-01"}).json() == raw
    assert client.get("/api/sharing/map", params={"level": "city"}).status_code == 400


def test_spanish_catalogue_is_complete_and_used(client: TestClient) -> None:
    web = files("sharemap.web")
    en = json.loads(web.joinpath("messages/en.json").read_text(encoding="utf-8"))
    es = json.loads(web.joinpath("messages/es.json").read_text(encoding="utf-8"))
    assert set(en) == set(es)
    same = {k for k in en if en[k] == es[k]}
    assert same <= {"site_title", "nav_api", "error"}, same  # every other text is translated
    page = client.get("/county/48201", params={"date": "2025-06-30", "lang": "es"}).text
    assert ">vigente</td>" in page and ">active</td>" not in page  # agreement statuses
    assert "Fichaje tras una detención:" in page  # encounter names in the trace
    assert "Los datos de esta página" in page
    state = client.get("/state/TX", params={"date": "2025-06-30", "lang": "es"}).text
    assert "exige la cooperación" in state or "mixta" in state  # the stance in words
    home = client.get("/", params={"lang": "es", "layer": "sharing", "date": "2026-06-01"}).text
    assert "sin datos de portales públicos" in home  # the layer's legend
