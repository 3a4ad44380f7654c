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


def test_a_knowledge_base_that_cannot_be_read_is_an_error_not_a_default(monkeypatch) -> None:
    """Issue 14: the shadow table of channels is gone; a failure to read the knowledge base surfaces."""
    import pytest

    import sharemap.kb.load as kb_load
    from sharemap.errors import DataError, SharemapError
    from sharemap.sim import ledger

    def broken() -> None:
        raise DataError("channels.yaml: not valid YAML")

    monkeypatch.setattr(kb_load, "load_kb", broken)
    ledger.hops.cache_clear()
    try:
        with pytest.raises(SharemapError, match="not valid YAML"):
            ledger.hops()
        assert not hasattr(ledger, "_FALLBACK")
    finally:
        ledger.hops.cache_clear()


def test_an_event_naming_an_unknown_channel_is_refused(monkeypatch) -> None:
    import pytest

    from sharemap.errors import DataError
    from sharemap.sim import ledger

    monkeypatch.setitem(ledger.EVENT_CHANNELS, "detainer", ("chan.no_such_channel",))
    ledger.hops.cache_clear()
    try:
        with pytest.raises(DataError, match=r"chan\.no_such_channel"):
            ledger.hops()
    finally:
        ledger.hops.cache_clear()
