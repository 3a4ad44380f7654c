"""The answer card in plain words (sharemap.flows.answer): what it says for real places, its sources,
and the Spanish catalogue."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from flows_places import COLLIER, COLLIER_AGREEMENTS, COOK, DAY, agreement

from sharemap.flows.answer import Answer, answer_for, catalogue, list_source
from sharemap.flows.graph import CachedRules, instantiate
from sharemap.flows.render import card, svg
from sharemap.flows.trace import trace
from sharemap.kb.facts import Encounter
from sharemap.kb.load import load_kb
from sharemap.kb.model import Model287g
from sharemap.ledger import geo
from sharemap.ledger.place import county_place, state_place
from sharemap.sharing import workbook

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _encounter(a: Answer, enc: Encounter):  # type: ignore[no-untyped-def]
    return next(e for e in a.encounters if e.encounter is enc)


def test_cook_county_booking_in_words(rules: CachedRules) -> None:
    a = answer_for(instantiate(COOK, DAY, (), rules))
    booking = _encounter(a, Encounter.BOOKING)
    assert booking.headline.text == "Booking after arrest: 4 of 9 known routes can carry data to ICE here."
    texts = [s.text for s in booking.sentences]
    auto = next(t for t in texts if t.startswith("With no local decision"))
    assert "fingerprints" in auto and "IDENT match to LESC" in auto
    hold = next(s for s in booking.sentences if "hold a person for ICE on a detainer alone" in s.text)
    assert "may not" in hold.text and any("805/15(a)" in c for c in hold.citations)
    assert hold.sources and all(s.url for s in hold.sources), "law sentences cite the provision's source"
    assert any(t.startswith("Not in place here on 2026-05-20: 287(g) jail officers") for t in texts)
    speed = next(t for t in texts if t.startswith("How fast"))
    assert "State bureau to FBI NGI, 10 min" in speed
    assert a.preamble[0].text == "No 287(g) agreement is in force here on 2026-05-20."


def test_every_sentence_is_plain_and_every_claim_of_a_route_is_sourced(rules: CachedRules) -> None:
    kb = load_kb()
    ids = {*kb.channels, *kb.data_elements, *kb.systems, *kb.sources}
    for place, agreements in ((COOK, ()), (COLLIER, COLLIER_AGREEMENTS)):
        for lang in ("en", "es"):
            a = answer_for(instantiate(place, DAY, agreements, rules), lang)  # type: ignore[arg-type]
            for s in a.sentences():
                assert not SNAKE.search(s.text), s.text
                assert not any(i in s.text for i in ids), s.text
                if s.text.startswith(("With no local decision", "Sin ninguna decisión", "If the local")):
                    assert s.sources, s.text
            text = a.text()
            assert a.references() and re.search(r" \[1(, \d+)*\]\n", text) and "\n[1] " in text


def test_spanish_answer_has_the_same_shape(rules: CachedRules) -> None:
    g = instantiate(COLLIER, DAY, COLLIER_AGREEMENTS, rules)
    en, es = answer_for(g, "en"), answer_for(g, "es")
    assert [len(e.sentences) for e in en.encounters] == [len(e.sentences) for e in es.encounters]
    assert es.title == "Qué llega a ICE desde Collier County, FL el 2026-05-20"
    booking = _encounter(es, Encounter.BOOKING)
    assert booking.headline.text.startswith("Fichaje tras una detención: 9 de 9 vías")
    assert any(
        s.text.startswith("La ley aquí: el sheriff o la cárcel del condado debe") for s in booking.sentences
    )
    assert es.references() == en.references()
    # the agreements are named in Spanish too (the model and "signed"), the agency's name as ICE lists it
    assert es.preamble[0].text == (
        "2 acuerdos 287(g) están vigentes aquí el 2026-05-20: Collier County Sheriff's Office: 287(g) "
        "modelo de cárceles (Jail Enforcement, JEM) (firmado el 2020-06-09) y Collier County Sheriff's "
        "Office: 287(g) modelo de grupo de trabajo (Task Force, TFM) (firmado el 2025-02-24)."
    )
    assert en.preamble[0].text.startswith(
        "2 287(g) agreements are in force here on 2026-05-20: Collier County Sheriff's Office: 287(g) "
        "Jail Enforcement Model (signed 2020-06-09)"
    )


def test_catalogue_covers_the_knowledge_base_in_both_languages() -> None:
    kb = load_kb()
    cat = catalogue()
    assert set(cat["channels"]) == set(kb.channels)
    assert set(cat["elements"]) == set(kb.data_elements)
    assert set(cat["systems"]) == set(kb.systems)
    assert set(cat["models"]) == {m.value for m in Model287g}
    assert set(cat["encounters"]) == {e.value for e in Encounter}
    fields = string.Formatter()
    for key, forms in cat["sentences"].items():
        slots = {lang: {f for _, f, _, _ in fields.parse(text) if f} for lang, text in forms.items()}
        assert set(forms) == {"en", "es"}, key
        assert slots["en"] == slots["es"], key


def test_plate_reads_say_what_the_portals_show(rules: CachedRules) -> None:
    """El Cajon PD (San Diego County, CA) shares its cameras out of state (its portal of 2026-04-22)."""
    san_diego = county_place(geo.county_by_name("06073"))
    a = answer_for(instantiate(san_diego, DAY, (), rules))
    plate = _encounter(a, Encounter.PLATE_READ)
    seen = [s for s in plate.sentences if s.text.startswith("In practice:")]
    assert any("El Cajon" in s.text and "out-of-state" in s.text for s in seen)
    archives = (workbook.SM_ALPR_URL, workbook.ARCHIVE_URL)  # the archived snapshot each cites
    assert all(str(src.url).startswith(archives) for s in seen for src in s.sources)
    quiet = _encounter(answer_for(instantiate(COOK, DAY, (), rules)), Encounter.PLATE_READ)
    assert (
        quiet.sentences[-1].text
        == "In practice: no public plate-reader portal data for here on or before 2026-05-20."
    )


def test_state_answer_counts_agreements_and_says_the_ban_closes_them(rules: CachedRules) -> None:
    wso = agreement("Garrett County Sheriff's Office", "MD", Model287g.WSO, dt.date(2025, 2, 28))
    md = state_place("MD")
    src = list_source(
        {"title": "ICE 287(g) lists", "url": "https://www.ice.gov/identify-and-arrest/287g"}, "2026-02-27"
    )
    a = answer_for(instantiate(md, dt.date(2026, 3, 1), [wso], rules), ledger=src)
    assert a.preamble[0].text.startswith("This is the picture for the whole state")
    assert a.preamble[0].sources == (src,)
    booking = _encounter(a, Encounter.BOOKING)
    closed = next(s for s in booking.sentences if s.text.startswith("State or federal law closes"))
    assert "(WSO)" in closed.text and any("5-104.1" in c for c in closed.citations)


def test_card_and_svg_are_self_contained(rules: CachedRules) -> None:
    g = instantiate(COOK, DAY, (), rules)
    c = card({e: trace(g, e) for e in Encounter}, "es")
    assert c["answer"].lang == "es" and len(c["answer_diagrams"]) == len(Encounter)
    drawing = svg(trace(g, Encounter.BOOKING))
    assert drawing.startswith("<svg") and drawing.rstrip().endswith("</svg>")
    assert "<script" not in drawing and "http" not in drawing.replace("http://www.w3.org/2000/svg", "")
    assert drawing.count("<rect") >= 9 and "closed by law" in drawing
    with pytest.raises(ValueError):
        card({}, "en")
