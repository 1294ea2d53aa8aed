"""Forwarding to one viewer through the real server: lost packets are resent from the viewer's sender."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from rooms.permissions import Role
from server.config import Settings
from tests.support.api import Api
from tests.support.media import make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.server import RunningServer, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True)


async def test_viewer_nacks_are_answered_from_its_retransmission_buffer(
    server: RunningServer, api: Api
) -> None:
    room_id, host = await room_with_host(server, api)
    observer = await person(server, api, room_id, Role.OBSERVER)
    venue = await make_venue(server, room_id, host.user_id)
    pub = await publish(host, room_id, venue_id=venue)
    # every 5th video packet never arrives the first time: without answered NACKs aiortc's jitter
    # buffer stalls at the first hole and this viewer decodes (almost) nothing
    viewer, _ = await watch(observer, room_id, f"venue:{venue}", audio=False, lose_every=5)
    await wait_for(lambda: len(viewer.counters) >= 150, timeout=40)
    loss = viewer.loss
    assert loss is not None

    settled = {seq for seq, at in loss.dropped.items() if at < time.monotonic() - 1.0}
    assert len(settled) >= 20, f"only {len(settled)} packets dropped; the loss was not injected"
    assert settled <= loss.recovered, f"never resent: {sorted(settled - loss.recovered)[:10]}"

    status, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
    assert status == 200, body
    assert body["retransmits"] >= len(settled), (body["retransmits"], len(settled))
    [src] = [s for s in body["sources"] if s["source"] == f"venue:{venue}"]
    assert src["retransmits"] == body["retransmits"]  # one viewer: all of them went to it
    status, text = await api.call("GET", "/metrics")
    prefix = f'moke_media_retransmits_total{{room="{room_id}"}}'
    [line] = [ln for ln in text.decode().splitlines() if ln.startswith(prefix)]
    assert float(line.split()[-1]) >= len(settled)

    # every frame decodes, in order, with no gap: all lost packets came back before the decoder needed them
    counts = [c for _, c in viewer.counters]
    gaps = [(a, b) for a, b in itertools.pairwise(counts) if b != a + 1]
    assert not gaps, f"counter gaps despite retransmission: {gaps[:10]}"

    await viewer.close()
    await pub.pc.close()
    for p in (host, observer):
        await p.sio.disconnect()
