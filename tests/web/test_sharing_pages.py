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
