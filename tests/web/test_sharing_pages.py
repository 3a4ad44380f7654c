"""The web app's plate-reader sharing routes and the state page's section on it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_web_routes_and_state_page_show_sharing(client: TestClient) -> None:
    r = client.get("/api/sharing", params={"agency": "El Cajon"})
    assert r.status_code == 200
    (review,) = r.json()["reviews"]
    assert review["state"] == "CA" and review["findings"][0]["rule"] == "out_of_state_sharing"
    assert client.get("/api/sharing").status_code == 400
    found = client.get("/api/sharing/findings", params={"state": "CA"}).json()["findings"]
    assert any(f["organisations"] == ["Las Vegas Metro NV PD"] for f in found)
    csv_text = client.get("/sharing/findings.csv", params={"state": "CA"}).text
    assert csv_text.startswith("state,agency,date,finding") and "El Cajon PD (CA)" in csv_text
    page = client.get("/state/CA", params={"date": "2026-04-30", "lang": "en"}).text
    assert "Plate-reader sharing in practice" in page and "359 out-of-state" in page
    assert (
        "no public sharing data for WY"
        in client.get("/state/WY", params={"date": "2026-04-30", "lang": "en"}).text
    )


def test_agency_page_lists_its_portal_and_findings(client: TestClient) -> None:
    """A 287(g) agency with a public portal (the national scrape of 2025-06-11) shows both."""
    page = client.get("/agency/nc-henderson-county-sheriff-office", params={"lang": "en"}).text
    assert "Plate-reader sharing in practice" in page
    assert "Henderson County NC SO, portal of" in page and "2025-06-11" in page
    assert "lists immigration enforcement as a prohibited use" in page  # its finding
    other = client.get("/agency/tx-keller-police-department", params={"lang": "en"}).text
    assert "Keller TX PD, portal of" in other


def test_own_search_audit_counts_over_the_api(client: TestClient) -> None:
    d = client.get("/api/sharing/searches", params={"portal": "humboldt"}).json()
    (p,) = d["portals"]
    assert p["agency"] == "Humboldt County CA SO" and p["searches"] == d["totals"]["searches"] > 0
    assert set(p) >= {"first", "last", "reached_other_networks", "federal_named"} and "reason" not in p
