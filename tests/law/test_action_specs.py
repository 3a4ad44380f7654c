"""Every action is described once (law.vocab.ACTIONS), with its words in both languages (issue 14)."""

from __future__ import annotations

from sharemap.law import labels
from sharemap.law.engine import Context
from sharemap.law.vocab import ACTIONS, Action, Purpose, Recipient


def test_every_action_has_a_spec_and_words() -> None:
    assert set(ACTIONS) == set(Action)
    for action in Action:
        for lang in labels.LANGS:
            word = labels.action_label(action, lang)
            assert word and "_" not in word, (action, lang)


def test_an_action_fixes_what_its_nature_fixes() -> None:
    asked = Context(recipient=Recipient.FEDERAL, purpose=Purpose.CRIMINAL_INVESTIGATION)
    assert asked.resolved(Action.SHARE_ALPR_OUT_OF_STATE).recipient is Recipient.OUT_OF_STATE
    assert asked.resolved(Action.SHARE_ALPR_IMMIGRATION).purpose is Purpose.CIVIL_IMMIGRATION
    assert asked.resolved(Action.SHARE_STATUS).purpose is Purpose.CRIMINAL_INVESTIGATION
    assert Context().resolved(Action.NOTIFY_RELEASE).data is not None
