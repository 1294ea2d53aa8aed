"""collab.awareness.AwarenessRegistry: pure, on encoded y-protocols awareness updates."""

from __future__ import annotations

import json

import pytest

from collab.awareness import MAX_NAME_CHARS, MAX_STATE_BYTES, AwarenessRegistry, sanitize_state
from collab.protocol import AwarenessEntry, decode_awareness_update, encode_awareness_update


def update(*entries: tuple[int, int, str]) -> bytes:
    return encode_awareness_update([AwarenessEntry(c, clock, state) for c, clock, state in entries])


def test_newer_clocks_replace_older_ones_and_stale_ones_are_ignored() -> None:
    reg = AwarenessRegistry()
    assert [e.client_id for e in reg.apply(update((1, 1, '{"n":"李"}')), "a")] == [1]
    assert reg.apply(update((1, 1, '{"n":"李"}')), "a") == []  # same clock, not a removal: nothing new
    assert reg.apply(update((1, 0, '{"n":"old"}')), "a") == []  # older clock
    changed = reg.apply(update((1, 2, '{"n":"王"}'), (2, 1, "{}")), "b")
    assert [(e.client_id, e.clock) for e in changed] == [(1, 2), (2, 1)]
    everyone = decode_awareness_update(reg.encode_all() or b"")
    assert {(e.client_id, e.state) for e in everyone} == {(1, '{"n":"王"}'), (2, "{}")}
    assert len(reg) == 2 and sorted(reg.owned_by("b")) == [1, 2] and reg.owned_by("a") == []


def test_a_removal_with_the_same_clock_forgets_the_client() -> None:
    reg = AwarenessRegistry()
    reg.apply(update((7, 3, "{}")), "conn")
    changed = reg.apply(update((7, 3, "null")), "conn")
    assert [e.removed for e in changed] == [True]
    assert len(reg) == 0 and reg.encode_all() is None and reg.owned_by("conn") == []


def test_removing_an_owner_announces_each_of_its_clients_gone() -> None:
    reg = AwarenessRegistry()
    reg.apply(update((1, 4, "{}"), (2, 9, "{}")), ("node", "n1"))
    reg.apply(update((3, 1, "{}")), "local")
    removal = reg.remove_owner(("node", "n1"))
    assert removal is not None
    assert [(e.client_id, e.clock, e.removed) for e in decode_awareness_update(removal)] == [
        (1, 4, True),
        (2, 9, True),
    ]
    assert len(reg) == 1 and reg.remove_owner(("node", "n1")) is None


@pytest.mark.parametrize("bad", [update((1, 1, "{not json")), b"\x05\x01"])
def test_malformed_updates_raise_and_change_nothing(bad: bytes) -> None:
    reg = AwarenessRegistry()
    reg.apply(update((1, 1, '{"ok":1}')), "a")
    with pytest.raises(ValueError):
        reg.apply(bad, "b")
    assert len(reg) == 1 and reg.owned_by("a") == [1]


def test_rendered_fields_are_bounded_and_oversized_states_dropped() -> None:
    reg = AwarenessRegistry()
    hostile = '{"user":{"name":"' + "名" * 200 + '","color":"red;background:url(x)","colorLight":"#abcdef"}}'
    ok = '{"user":{"name":"李","color":"#F00"},"cursor":null}'
    changed = reg.apply(
        update((1, 1, hostile), (2, 1, '{"pad":"' + "x" * MAX_STATE_BYTES + '"}'), (3, 1, ok)), "c"
    )
    assert [e.client_id for e in changed] == [1, 3]  # the oversized state is neither kept nor relayed
    assert json.loads(changed[0].state) == {"user": {"name": "名" * MAX_NAME_CHARS, "colorLight": "#abcdef"}}
    assert changed[1].state == ok  # a valid state is passed on as sent
    assert {e.client_id for e in decode_awareness_update(reg.encode_all() or b"")} == {1, 3}


@pytest.mark.parametrize("color", ["#12", "#12345g", "rgb(0,0,0)", "#fff;x", 7, None])
def test_only_hex_colours_are_kept(color: object) -> None:
    state = json.dumps({"user": {"name": "王", "color": color}})
    assert json.loads(sanitize_state(state) or "") == {"user": {"name": "王"}}
