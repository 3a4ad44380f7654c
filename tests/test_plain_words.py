"""Human output never shows internal ids or snake_case (issue 15): the CLI's tables and sentences at 80
columns when piped, and the county, state and agency pages as a reader sees them.

The ids are those of the law vocabulary (actions, actors, effects), the law's provisions and the
knowledge base (channels, data elements, systems, encounters, sources). JSON output is data and keeps
its ids; file names and URLs are references, not words, and are left out before checking.
"""

from __future__ import annotations

import html
import re
import shlex
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sharemap.cli.app import app
from sharemap.kb.load import load_kb
from sharemap.law.engine import default_law
from sharemap.law.vocab import Action, Actor, Effect

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
REFERENCES = re.compile(r"(https?://|www\.)\S+|\S*/\S*|\S+\.(?:yaml|xlsx|csv|json|pdf|parquet|duckdb)\b")
TOKEN = re.compile(r"[A-Za-z0-9_.-]+")
CUT_DATE = re.compile(r"\b\d{4}-(?:\d\d-?)?…")


@lru_cache(maxsize=1)
def internal_ids() -> frozenset[str]:
    kb = load_kb()
    found = {
        *kb.channels,
        *kb.data_elements,
        *kb.systems,
        *kb.sources,
        *(e.id for e in kb.encounters.values()),
    }
    found |= {p.id for p in default_law().provisions}
    # single words such as "sheriff" or "dmv" are plain English; the compound ids are not
    found |= {v.value for vocab in (Action, Actor, Effect) for v in vocab if "_" in v.value}
    return frozenset(found)


def jargon(text: str) -> list[str]:
    """The snake_case words and internal ids in `text` (references removed first)."""
    words = REFERENCES.sub(" ", text)
    tokens = {t.rstrip(".-") for t in TOKEN.findall(words)}
    return sorted(set(SNAKE.findall(words)) | (tokens & internal_ids()))


def test_the_check_catches_what_it_should() -> None:
    assert jargon("requires: prohibits adopt_limiting_policy") == ["adopt_limiting_policy"]
    assert jargon("why: chan.jem_jail_screening and IL-5ILCS805-15a-detainer") == [
        "IL-5ILCS805-15a-detainer",
        "chan.jem_jail_screening",
        "jem_jail_screening",
    ]
    assert jargon("see https://example.org/a_b and sharemap/kb/data/not_found.yaml") == []
    assert jargon("the sheriff or county jail may not hold a person") == []
    assert CUT_DATE.search("│ 2025-06-… │") and not CUT_DATE.search("2025-06-18")


runner = CliRunner()
CLI = {
    "trace county": 'trace --county "Cook County, IL" --event booking --date 2026-05-20',
    "trace matrix": 'trace --county "Collier County, FL" --date 2026-05-20 --format matrix',
    "trace state compare": "trace --state MD --event booking --date 2026-01-01 --compare-date 2026-03-01",
    "trace agency": 'trace --agency "Yuma County Sheriff\'s Office" --state AZ --event jail_release',
    "answer county": 'answer "Cook County, IL" --date 2026-05-20',
    "answer state es": "answer MD --date 2026-03-01 --lang es",
    "answer agency": 'answer "Yuma County Sheriff\'s Office" --date 2026-05-20',
    "agreements": 'agreements --county "Harris County, TX" --as-of 2025-06-30',
    "agency": 'agency "Yuma County Sheriff\'s Office" --state AZ',
    "law state": "law state IL --date 2026-05-20",
    "law rule": "law rule --state TX --actor sheriff --action hold_on_detainer --date 2026-05-20",
}


def _run(command: str, db: Path) -> str:
    argv = shlex.split(command)
    args = [*argv, "--db", str(db)] if argv[0] != "law" else argv
    r = runner.invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("name", list(CLI))
def test_cli_output_is_in_words(name: str, ledger_db: Path) -> None:
    out = _run(CLI[name], ledger_db)
    assert not jargon(out), f"{name}: {jargon(out)}"
    assert not CUT_DATE.search(out), f"{name}: a date is cut: {CUT_DATE.search(out)}"


# --- web pages -------------------------------------------------------------------------------------

PAGES = [
    "/county/17031?date=2026-05-20",
    "/county/17031?date=2026-05-20&lang=es",
    "/county/12021?date=2026-05-20&compare_date=2025-01-01",
    "/state/MD?date=2026-03-01",
    "/state/MD?date=2026-03-01&lang=es",
    "/agency/az-yuma-county-sheriff-office",
]
REPORT = re.compile(r'(?s)<article class="report".*?</article>')


@pytest.fixture(scope="module")
def pages(ledger_db: Path) -> dict[str, str]:
    """Each page fetched once (a page renders its report: seconds each on a loaded machine)."""
    from sharemap.web import create_app

    client = TestClient(create_app(ledger_db))
    return {url: client.get(url).text for url in PAGES}


def visible(page: str) -> str:
    """What a reader sees: tags, scripts and styles removed, entities decoded."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


@pytest.mark.parametrize("url", PAGES)
def test_pages_open_with_the_answer_in_words(url: str, pages: dict[str, str]) -> None:
    page = pages[url]
    assert page.find('id="answer"') < page.find('id="routes"'), (
        "the answer card comes first, then the diagram"
    )
    body = REPORT.sub(" ", page)
    assert not jargon(visible(body)), f"{url}: {jargon(visible(body))}"
    assert "<script" not in page[page.find('id="routes"') : page.find("</section>", page.find('id="routes"'))]
    if "lang=es" in url:
        assert "Qué llega a ICE desde" in page and "Las vías, en un diagrama" in page


@pytest.mark.parametrize("url", PAGES[:1] + PAGES[3:4])
def test_the_embedded_report_is_in_words(url: str, pages: dict[str, str]) -> None:
    found = REPORT.search(pages[url])
    assert found
    words = jargon(visible(found.group(0)))
    assert not words, f"{url}: the embedded report shows {words}"
