"""Rulings in plain words (EN/ES), uncertain dates and contested validity, on the shipped provisions."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from sharemap.errors import InputError
from sharemap.kb.model import Source
from sharemap.law import Action, Actor, Effect, Law, Provision, default_law, rule
from sharemap.law.labels import _labels, answer, lang_of, question
from sharemap.law.vocab import Status, Verification

SRC = Source(title="test source", url="https://example.org/t")  # type: ignore[arg-type]


def test_every_actor_action_and_effect_has_both_labels() -> None:
    labels = _labels()
    assert set(labels["actors"]) == {a.value for a in Actor}
    assert set(labels["actions"]) == {a.value for a in Action}
    assert set(labels["effects"]) == {e.value for e in Effect}
    for group in labels.values():
        for entry in group.values():
            assert entry["en"].strip() and entry["es"].strip()
            assert entry["en"] != entry["es"]


def test_florida_duty_to_hold_any_model_reads_as_a_quotable_sentence() -> None:
    r = rule("FL", "sheriff", "enter_287g_any", dt.date(2024, 6, 1))
    assert question(r) == (
        "On 2024-06-01, may the sheriff or county jail in Florida hold at least one 287(g) agreement "
        "with ICE (any model)?"
    )
    text = answer(r)
    assert text.startswith("Yes, it must. On 2024-06-01, the sheriff or county jail in Florida must hold")
    assert "Fla. Stat. 908.11" in text
    es = answer(r, "es")
    assert es.startswith("Sí, es obligatorio.") and "Fla. Stat. 908.11" in es


def test_one_model_alone_says_it_meets_the_duty_but_is_not_required() -> None:
    text = answer(rule("FL", "sheriff", "enter_287g_tfm", dt.date(2024, 6, 1)))
    assert not text.startswith("Yes, it must")
    assert "meets the duty in Fla. Stat. 908.11" in text


def test_prohibition_names_its_exception_and_the_unknown_is_unknown() -> None:
    text = answer(rule("IL", "sheriff", "notify_release", dt.date(2026, 7, 1)))
    assert text.startswith("No. On 2026-07-01, the sheriff or county jail in Illinois may not tell ICE")
    assert "5 ILCS 805/15" in text and "unless:" in text
    ak = rule("AK", "sheriff", "notify_release", dt.date(2026, 7, 1))
    assert ak.effect is Effect.NOT_RESEARCHED
    assert answer(ak).startswith("Unknown. sharemap has not researched Alaska's law")
    assert answer(ak, "es").startswith("Se desconoce.")


def test_language_codes_are_checked() -> None:
    assert lang_of("es") == "es"
    with pytest.raises(InputError, match="unknown language"):
        lang_of("fr")


def _doubtful(**dates: dt.date) -> Provision:
    return Provision(
        id="TX-test-doubtful",
        jurisdiction="TX",
        citation="Test Act",
        title="test",
        summary="test",
        status=Status.IN_FORCE,
        actors=(Actor.DMV,),
        actions=(Action.DISCLOSE_DMV_PHOTO,),
        effect=Effect.PROHIBITED,
        verification=Verification.UNVERIFIED,
        sources=(SRC,),
        **dates,  # type: ignore[arg-type]
    )


def test_a_date_inside_uncertain_bounds_gives_both_readings() -> None:
    law = default_law().with_provisions(
        [_doubtful(effective_from=dt.date(2025, 1, 1), effective_from_latest=dt.date(2025, 7, 1))]
    )
    base = default_law().rule("TX", "dmv", "disclose_dmv_photo", dt.date(2025, 3, 1))
    r = law.rule("TX", "dmv", "disclose_dmv_photo", dt.date(2025, 3, 1))
    assert r.effect is Effect.UNCERTAIN
    assert [x.effect for x in r.readings] == [Effect.PROHIBITED, base.effect]
    assert "TX-test-doubtful" in r.provision_ids
    step = next(s for s in r.steps if s.provision_id == "TX-test-doubtful")
    assert "took effect between 2025-01-01 and 2025-07-01" in step.note
    assert answer(r).startswith("Uncertain.") and "Test Act" in answer(r)
    assert r.to_dict()["readings"][0]["effect"] == "prohibited"
    # outside the window the answer is certain again
    assert law.rule("TX", "dmv", "disclose_dmv_photo", dt.date(2025, 8, 1)).effect is Effect.PROHIBITED
    assert law.rule("TX", "dmv", "disclose_dmv_photo", dt.date(2024, 12, 31)).effect is base.effect


def test_an_uncertain_end_is_uncertain_too() -> None:
    law = Law(
        [
            _doubtful(
                effective_from=dt.date(2020, 1, 1),
                effective_to=dt.date(2024, 1, 1),
                effective_to_latest=dt.date(2024, 6, 1),
            ).model_copy(update={"status": Status.SUPERSEDED})
        ],
        default_law().coverage,
    )
    r = law.rule("TX", "dmv", "disclose_dmv_photo", dt.date(2024, 3, 1))
    assert r.effect is Effect.UNCERTAIN
    assert "ended between 2024-01-01 and 2024-06-01" in r.explain()


def test_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="effective_from_latest"):
        _doubtful(effective_from=dt.date(2025, 1, 1), effective_from_latest=dt.date(2024, 1, 1))
    with pytest.raises(ValueError, match="effective_to_latest"):
        _doubtful(effective_from=dt.date(2025, 1, 1), effective_to_latest=dt.date(2026, 1, 1))


def test_1373_is_flagged_as_contested_where_it_decides_or_saves() -> None:
    r = rule("CA", "sheriff", "share_immigration_status", dt.date(2026, 7, 1))
    assert "US-8USC1373-status-info" in r.provision_ids
    assert any(c.startswith("8 U.S.C. 1373") for c in r.contested)
    assert "Validity contested" in r.explain()
    assert "contested in court" in answer(r)
    # a ruling that does not rest on 1373 carries no such flag
    assert not rule("CA", "sheriff", "hold_on_detainer", dt.date(2026, 7, 1)).contested


def test_labels_file_is_valid_yaml_with_three_groups() -> None:
    from importlib.resources import files

    data = yaml.safe_load(files("sharemap.law").joinpath("labels.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"actors", "actions", "effects"}
