"""The disclosure ledger uses the knowledge base's channel, system and data-element ids."""

from __future__ import annotations

from sharemap.kb.load import load_kb
from sharemap.sim.ledger import EVENT_CHANNELS, STAGE_EVENTS, hops
from sharemap.sim.pipeline import STAGES


def test_every_event_maps_to_knowledge_base_ids() -> None:
    kb = load_kb()
    table = hops()
    for event, chans in EVENT_CHANNELS.items():
        assert all(c in kb.channels for c in chans), event
        for chan, _sender, _recipient, elements, _direction in table[event]:
            assert chan in kb.channels
            assert elements and all(e in kb.data_elements for e in elements), (event, chan)


def test_every_event_is_counted_from_kernel_stages() -> None:
    assert set(STAGE_EVENTS) == set(EVENT_CHANNELS)
    for terms in STAGE_EVENTS.values():
        assert all(t.lstrip("-") in STAGES for t in terms)


def test_fallback_covers_every_event() -> None:
    from sharemap.sim.ledger import _FALLBACK

    assert set(_FALLBACK) == set(EVENT_CHANNELS)
