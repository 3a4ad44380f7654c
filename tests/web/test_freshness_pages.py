"""Pages and API responses say which ICE list they show and how old it is on the date asked."""

from __future__ import annotations

import datetime as dt
import html as html_lib

from fastapi.testclient import TestClient


def page(client: TestClient, url: str, lang: str = "en") -> str:
    """The page's text as a reader sees it (entities decoded), in one language."""
    sep = "&" if "?" in url else "?"
    return html_lib.unescape(client.get(f"{url}{sep}lang={lang}").text)


def test_home_page_states_the_list_age_and_the_later_published_count(client: TestClient) -> None:
    html = page(client, "/?date=2026-12-03")
    assert "ICE list of 2026-05-18, 199 days before 2026-12-03." in html
    assert "ICE's list of 2026-10-09 reported 2,654 agreements (TFM 1,902, WSO 569, JEM 183)" in html
    es = page(client, "/?date=2026-12-03", "es")
    assert "Lista de ICE del 2026-05-18, 199 días antes del 2026-12-03." in es


def test_a_date_before_the_first_list_says_so_instead_of_zero(client: TestClient) -> None:
    html = page(client, "/?date=2020-06-30")
    assert "2020-06-30 is before this ledger's coverage: the first ICE list held is of 2021-01-13." in html
    api = client.get("/api/map", params={"date": "2020-06-30"}).json()
    assert api["agreements"] is None and api["freshness"]["before_coverage"] is True


def test_county_and_state_pages_and_api_carry_freshness(client: TestClient) -> None:
    county = client.get("/api/counties/48201", params={"date": "2026-12-03"}).json()
    f = county["freshness"]
    assert (f["list_date"], f["list_age_days"], f["latest_published"]["state"]) == ("2026-05-18", 199, "TX")
    html = page(client, "/county/48201?date=2026-12-03")
    assert "ICE list of 2026-05-18, 199 days before 2026-12-03." in html
    assert f"ICE's list of 2026-10-09 reported {f['latest_published']['total']:,} agreements in TX" in html
    state = client.get("/api/states/MD", params={"date": "2025-12-31"}).json()
    assert state["freshness"]["list_age_days"] == 0 and state["freshness"]["warning"] is None
    summary = client.get("/api/summary").json()
    assert (
        summary["list_date"] == "2026-05-18"
        and summary["list_age_days"] == (dt.date.today() - dt.date(2026, 5, 18)).days
    )


def test_the_slider_fragment_follows_the_date(client: TestClient) -> None:
    r = client.get("/fragments/freshness", params={"date": "2025-06-27", "lang": "en"})
    assert r.status_code == 200 and "ICE list of 2025-06-27, the date asked." in r.text
    es = client.get("/fragments/freshness", params={"date": "2025-06-27", "lang": "es"}).text
    assert "Lista de ICE del 2025-06-27, la fecha consultada." in es


def test_agency_page_shows_the_other_names(client: TestClient) -> None:
    html = page(client, "/agency/fl-marco-island-police-department")
    assert "Macro Island Police Department" in html and "Also listed as" in html


def test_what_changed_page_and_feeds(client: TestClient) -> None:
    text = page(client, "/changes?since=2026-01-01&until=2026-05-18&state=MD")
    assert "Frederick County Sheriff's Office" in text and "2026-02-17" in text
    assert 'type="application/atom+xml"' in text
    feed = client.get("/changes.atom", params={"since": "2026-01-01", "until": "2026-05-18", "state": "MD"})
    assert (
        feed.headers["content-type"].startswith("application/atom+xml") and feed.text.count("<entry>") == 12
    )
    api = client.get(
        "/api/changes", params={"since": "2025-12-01", "until": "2025-12-31", "state": "TX"}
    ).json()
    assert sum(c["kind"] == "renamed" and "Dimmit" in c["agency_name"] for c in api["changes"]) == 3
    csv_text = client.get("/changes.csv", params={"since": "2026-01-01", "state": "MD"}).text
    assert csv_text.splitlines()[0].startswith("date,kind,state")
    es = page(client, "/changes?since=2026-01-01&until=2026-05-18&state=MD", "es")
    assert "terminado" in es


def test_trace_api_carries_freshness(client: TestClient) -> None:
    data = client.get("/api/trace", params={"county": "12021", "date": "2026-12-03"}).json()
    assert (
        data["freshness"]["list_date"] == "2026-05-18"
        and data["freshness"]["latest_published"]["state"] == "FL"
    )


def test_state_page_has_a_law_timeline(client: TestClient) -> None:
    text = page(client, "/state/FL?date=2026-06-01")
    assert "Law timeline" in text and "City of South Miami v. DeSantis" in text
    data = client.get("/api/states/FL", params={"date": "2026-06-01"}).json()
    assert any(c["kind"] == "injunction_lifted" for c in data["law_timeline"])


def test_state_page_answers_each_question_in_the_page_language(client: TestClient) -> None:
    en = page(client, "/state/FL?date=2024-06-01")
    assert "Rulings in plain words" in en
    assert "On 2024-06-01, may the sheriff or county jail in Florida hold at least one 287(g) agreement" in en
    assert "Yes, it must. On 2024-06-01, the sheriff or county jail in Florida must hold" in en
    es = page(client, "/state/FL?date=2024-06-01", "es")
    assert "Resoluciones en palabras sencillas" in es
    assert "Sí, es obligatorio. El 2024-06-01, el sheriff o la cárcel del condado en Florida debe tener" in es
