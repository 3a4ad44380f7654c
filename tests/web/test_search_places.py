"""Finding a place on the web: the search goes straight to the place a name settles on, lists the
candidates when it fits several, and the type-ahead endpoint answers from the server (issue 15.1)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("q", "where"),
    [
        ("cook county", "/county/17031"),  # once Brooks County, GA
        ("harris county tx", "/county/48201"),  # once Harris County, GA
        ("harris", "/county/48201"),
        ("Harris County, TX", "/county/48201"),
        ("48201", "/county/48201"),
        ("Texas", "/state/TX"),
        ("tx", "/state/TX"),
        ("Maryland", "/state/MD"),
        ("Canadian County Sheriff's Office", "/agency/ok-canadian-county-sheriff-office"),
    ],
)
def test_search_goes_to_the_place_a_name_settles_on(client: TestClient, q: str, where: str) -> None:
    r = client.get("/search", params={"q": q}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"] == where


def test_an_ambiguous_name_shows_a_results_page(client: TestClient) -> None:
    r = client.get("/search", params={"q": "jefferson"}, follow_redirects=False)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    exact = r.text[r.text.index('id="hits-exact"') :]
    labels = re.findall(r'<a href="/county/(\d{5})">([^<]+)</a>', exact)
    assert labels[:2] == [("21111", "Jefferson County, KY"), ("01073", "Jefferson County, AL")]
    assert "777,392" in exact  # population shown beside each candidate


def test_a_typo_is_offered_not_taken(client: TestClient) -> None:
    r = client.get("/search", params={"q": "Canadian Conty Sherif Office"}, follow_redirects=False)
    assert r.status_code == 200
    close = r.text[r.text.index('id="hits-close"') :]
    assert '<a href="/agency/ok-canadian-county-sheriff-office">' in close


def test_api_search_returns_the_ranked_candidates(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "cook"}).json()
    assert body["decided"]["key"] == "17031"
    assert [h["label"] for h in body["results"][:3]] == [
        "Cook County, IL",
        "Cook County, GA",
        "Cook County, MN",
    ]
    assert body["results"][0]["url"] == "/county/17031" and body["results"][0]["exact"] is True
    body = client.get("/api/search", params={"q": "jefferson"}).json()
    assert body["decided"] is None and len(body["results"]) > 2
    hits = client.get("/api/search", params={"q": "Canadian County Sheriff"}).json()["results"]
    assert hits[0]["url"] == "/agency/ok-canadian-county-sheriff-office"
    assert client.get("/api/search", params={"q": " "}).status_code == 400


def test_suggestions_as_you_type(client: TestClient) -> None:
    body = client.get("/api/suggest", params={"q": "cook c"}).json()
    assert [s["label"] for s in body["suggestions"]] == [
        "Cook County, IL",
        "Cook County, GA",
        "Cook County, MN",
    ]
    first = client.get("/api/suggest", params={"q": "harris county t"}).json()["suggestions"][0]
    assert (first["label"], first["url"]) == ("Harris County, TX", "/county/48201")
    assert len(client.get("/api/suggest", params={"q": "wa", "limit": 3}).json()["suggestions"]) == 3
    assert client.get("/api/suggest", params={"q": ""}).json()["suggestions"] == []
    assert client.get("/api/suggest", params={"q": "x", "limit": 99}).status_code == 422


def test_places_in_api_queries_are_read_by_the_same_resolver(client: TestClient) -> None:
    by_fips = client.get("/api/trace", params={"county": "48201", "date": "2026-05-18"}).json()
    by_name = client.get("/api/trace", params={"county": "Harris County TX", "date": "2026-05-18"}).json()
    assert by_name["place"] == by_fips["place"]
