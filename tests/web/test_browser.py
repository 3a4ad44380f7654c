"""The pages in a real browser: Playwright driving Debian's Chromium (`apt-get install chromium`).

Screenshots of each page are saved under $SHAREMAP_SCREENSHOTS (default: pytest's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_paths import EUGENE

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SHAREMAP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = os.environ.get("SHAREMAP_SCREENSHOTS")
    folder = Path(out) if out else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def test_map_colours_counties_for_a_date(page: Any, live_server: str, shots: Path) -> None:
    api = httpx.get(f"{live_server}/api/map", params={"date": "2025-06-30"}).json()
    page.goto(f"{live_server}/?date=2025-06-30")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("#map .counties path").count() == 3144
    assert page.locator("#map .counties path[class^='m-']").count() == api["counties_coloured"]
    assert page.locator("#coloured-count").inner_text() == str(api["counties_coloured"])
    page.screenshot(path=str(shots / "home.png"))
    # move the slider to the first list and wait for the recolouring
    dates = httpx.get(f"{live_server}/api/dates").json()["dates"]
    first = httpx.get(f"{live_server}/api/map", params={"date": dates[0]}).json()
    page.focus("#date-slider")
    page.keyboard.press("Home")
    page.wait_for_selector(f"#map[data-date='{dates[0]}']")
    assert page.locator("#map .counties path[class^='m-']").count() == first["counties_coloured"]
    assert page.locator("#date-out").inner_text() == dates[0]
    page.screenshot(path=str(shots / "home-first-list.png"))


def test_search_leads_to_a_county_page(page: Any, live_server: str, shots: Path) -> None:
    page.goto(live_server)
    page.fill("#q", "Harris County, TX")
    page.press("#q", "Enter")
    page.wait_for_url("**/county/48201")
    assert "Harris County, TX" in page.locator("h1").first.inner_text()
    assert page.locator("details.encounter").count() == 8
    page.screenshot(path=str(shots / "county.png"), full_page=False)


def test_every_reference_in_a_report_resolves(page: Any, live_server: str, shots: Path) -> None:
    page.goto(f"{live_server}/county/48201")
    result = page.evaluate(
        """() => {
          const links = [...document.querySelectorAll('article.report a[href^="#ref-"]')];
          const bad = [];
          for (const a of links) {
            const el = document.getElementById(a.getAttribute('href').slice(1));
            const ok = el && el.querySelector('.ref-title') && el.querySelector('.ref-date');
            if (!ok) bad.push(a.getAttribute('href'));
          }
          return {links: links.length, bad: bad, refs: document.querySelectorAll('ol.references li').length};
        }"""
    )
    assert result["links"] > 50 and result["refs"] > 10
    assert result["bad"] == []
    page.locator("article.report a[href^='#ref-']").first.click()
    assert page.evaluate("location.hash").startswith("#ref-")
    page.goto(f"{live_server}/state/MD")
    page.screenshot(path=str(shots / "state.png"))
    page.goto(f"{live_server}/agency/ok-canadian-county-sheriff-office")
    assert page.locator("table.data").count() >= 1
    page.screenshot(path=str(shots / "agency.png"))
    page.goto(f"{live_server}/methodology")
    page.screenshot(path=str(shots / "methodology.png"))


def test_eugene_upload(page: Any, live_server: str, shots: Path) -> None:
    page.goto(f"{live_server}/audit")
    page.screenshot(path=str(shots / "audit-form.png"))
    page.set_input_files("#file", str(EUGENE))
    page.select_option("#state", "OR")
    page.click("#audit-form button[type=submit]")
    page.wait_for_selector("#searches")
    assert page.locator("#searches").inner_text() == "4,294"
    assert page.locator("#immigration-findings").inner_text() == "0"
    page.screenshot(path=str(shots / "audit.png"))


def test_simulation_runs_and_shows_charts(page: Any, live_server: str, shots: Path) -> None:
    page.goto(f"{live_server}/sim")
    page.screenshot(path=str(shots / "simulation-form.png"))
    page.fill("#county", "Collier County, FL")
    page.select_option("#scenario_b", "no-287g")
    page.fill("#replicates", "2")
    page.click("#sim-form button[type=submit]")
    page.wait_for_selector("#sim-chart svg", timeout=90_000)
    assert page.locator("#sim-chart svg rect").count() > 5
    assert page.locator("#sim-compare tbody tr").count() > 5
    assert "SYNTHETIC" in page.locator(".synthetic").inner_text()
    page.screenshot(path=str(shots / "simulation.png"))
    # the county page's report with both runs: charts drawn, every citation of the section resolves
    page.locator("#sim-report a").first.click()
    page.wait_for_selector("#sec-simulation")
    assert page.locator("#sec-simulation svg").count() == 4  # two charts per scenario
    result = page.evaluate(
        """() => {
          const links = [...document.querySelectorAll('#sec-simulation a[href^="#ref-"]')];
          const bad = links.filter(a => {
            const el = document.getElementById(a.getAttribute('href').slice(1));
            return !(el && el.querySelector('.ref-title') && el.querySelector('.ref-date'));
          }).map(a => a.getAttribute('href'));
          return {links: links.length, bad: bad};
        }"""
    )
    assert result["links"] > 20 and result["bad"] == []
    page.locator("#sec-simulation").screenshot(path=str(shots / "simulation-report.png"))


def test_spanish_switch(page: Any, live_server: str, shots: Path) -> None:
    page.goto(live_server)
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='es']")
    assert "Acuerdos 287(g) por condado" in page.locator("h1").inner_text()
    page.goto(f"{live_server}/county/48201")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("#lang-switch").inner_text() == "English"
    page.screenshot(path=str(shots / "county-es.png"))
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='en']")


def test_keyboard_reaches_search(page: Any, live_server: str) -> None:
    page.goto(live_server)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#q")
    page.keyboard.type("Maryland")
    page.keyboard.press("Enter")
    page.wait_for_url("**/state/MD")


def test_no_content_security_policy_violations(page: Any, live_server: str) -> None:
    """The app's pages work under its own CSP: no script, style or fetch is refused by the browser."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    for url in ("/county/12021", "/state/TX", "/report/county/12021.html", "/sim", "/audit", "/changes"):
        page.goto(f"{live_server}{url}")
    page.goto(f"{live_server}/?date=2025-06-30")
    page.wait_for_selector("#map[data-ready='1']")
    page.focus("#date-slider")
    page.keyboard.press("Home")  # map.js fetches the map and the freshness fragment
    page.wait_for_timeout(500)
    assert refused == []
    headers = httpx.get(f"{live_server}/").headers
    assert "script-src 'self'" in headers["content-security-policy"]


def test_phone_width_has_no_horizontal_scroll(browser: Any, live_server: str, shots: Path) -> None:
    """390 px (a phone): no page scrolls sideways, in English and Spanish; tables wrap or scroll inside."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    try:
        for url in ("/county/48201", "/county/48201?lang=es", "/state/TX", "/?date=2025-06-30"):
            pg.goto(f"{live_server}{url}")
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (url, width)
            if "county" in url:
                pg.screenshot(path=str(shots / f"phone-county-{'es' if 'es' in url else 'en'}.png"))
        height = pg.evaluate("document.documentElement.scrollHeight")  # the last page was home
        pg.goto(f"{live_server}/state/TX")
        assert pg.evaluate("document.documentElement.scrollHeight") < 40_000  # long lists are collapsed
        assert height > 0
    finally:
        pg.goto(f"{live_server}/?lang=en")  # the language cookie is per context; leave English
        ctx.close()


def test_slider_keeps_the_view_in_the_url(page: Any, live_server: str) -> None:
    dates = httpx.get(f"{live_server}/api/dates").json()["dates"]
    first = httpx.get(f"{live_server}/api/map", params={"date": dates[0]}).json()
    page.goto(f"{live_server}/?date=2025-06-30")
    page.wait_for_selector("#map[data-ready='1']")
    entries = page.evaluate("history.length")
    page.focus("#date-slider")
    page.keyboard.press("Home")
    page.wait_for_selector(f"#map[data-date='{dates[0]}']")
    assert page.evaluate("new URLSearchParams(location.search).get('date')") == dates[0]
    assert page.evaluate("history.length") == entries  # replaced, not pushed
    page.reload()
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("#date-slider").input_value() == "0"
    assert page.locator("#date-out").inner_text() == dates[0]
    assert page.locator("#map .counties path[class^='m-']").count() == first["counties_coloured"]


@pytest.mark.parametrize(
    ("typed", "fips", "name"),
    [
        ("cook county", "17031", "Cook County, IL"),
        ("harris county tx", "48201", "Harris County, TX"),
        ("harris", "48201", "Harris County, TX"),
    ],
)
def test_typed_name_and_enter_land_on_the_right_county(
    page: Any, live_server: str, typed: str, fips: str, name: str
) -> None:
    """Issue 15: these went to Brooks County, GA and Harris County, GA; the most populous exact name wins."""
    page.goto(f"{live_server}/?lang=en")
    page.fill("#q", typed)
    page.press("#q", "Enter")
    page.wait_for_url(f"**/county/{fips}*")
    assert name in page.locator("h1").first.inner_text()


def test_county_page_opens_with_the_answer_card_in_both_languages(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/county/48201?lang=en")
    card = page.locator("section.answer-card")
    assert card.get_attribute("lang") == "en"
    assert card.locator("h2").inner_text().startswith("What reaches ICE from Harris County, TX on ")
    assert card.locator("details.answer-encounter").count() >= 5
    # the card comes before the details: it is the first section of the page's main content
    assert page.evaluate("document.querySelector('main h2').id") == "answer-title"
    page.goto(f"{live_server}/county/48201?lang=es")
    card = page.locator("section.answer-card")
    assert card.get_attribute("lang") == "es"
    assert card.locator("h2").inner_text().startswith("Qué llega a ICE desde Harris County, TX el ")
    first = card.locator("details.answer-encounter").first.inner_text()
    assert "Fichaje tras una detención" in first and "vías conocidas" in first
    assert "routes" not in first and "Booking after arrest" not in first
    page.goto(f"{live_server}/?lang=en")  # the language cookie is per context; leave English
