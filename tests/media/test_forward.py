"""Forwarding to one viewer through the real server: lost packets are resent from the viewer's sender."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest

from rooms.permissions import Role
from server.config import Settings
from tests.support.api import Api
from tests.support.impair import Impairment
from tests.support.media import Link, make_venue, person, publish, room_with_host, wait_for, watch
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


# the school link of issue 13: 5 % random loss, 50 ± 20 ms one-way jitter, a 2 Mbit/s cap, both ways
RURAL = Impairment(loss=0.05, delay=0.05, jitter=0.02, rate_bps=2_000_000)


async def test_over_lossy_jittery_links_both_legs_are_repaired_and_the_picture_keeps_coming(
    server: RunningServer, api: Api
) -> None:
    room_id, host = await room_with_host(server, api)
    observer = await person(server, api, room_id, Role.OBSERVER)
    venue = await make_venue(server, room_id, host.user_id)
    uplink, downlink = Link(RURAL, seed=1), Link(RURAL, seed=2)
    pub = await publish(host, room_id, venue_id=venue, link=uplink)
    for _ in range(300):  # the venue is live (its frames reach the server) before anyone watches
        _, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
        if any(s["source"] == f"venue:{venue}" and s["frames_in"] > 30 for s in body["sources"]):
            break
        await asyncio.sleep(0.1)
    viewer, _ = await watch(observer, room_id, f"venue:{venue}", link=downlink)
    await wait_for(lambda: len(viewer.counters) >= 150, timeout=60)
    up, down = uplink.relay.stats["a->b"], downlink.relay.stats["b->a"]
    assert up.dropped_loss >= 5 and down.dropped_loss >= 5, (up, down)  # the links did lose packets

    status, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
    assert status == 200, body
    [src] = [s for s in body["sources"] if s["source"] == f"venue:{venue}"]
    # the publisher leg: the server NACKed what the uplink lost and RTX brought it back
    assert src["publisher_nacked"] > 0 and src["publisher_rtx_received"] > 0, src
    # the viewer leg: the viewer NACKed what the downlink lost and the server resent it from history
    assert src["viewer_nacked"] > 0 and src["retransmits"] > 0, src
    # the viewer joined mid-stream: its forwarder waited for a keyframe the server asked the publisher for
    assert src["keyframe_requests"] >= 1 and src["frames_in"] > 0

    # the picture keeps coming: the counter only moves forward and does advance (a frame lost for good may
    # skip one). How far it advances depends on the machine's load, so the rate is bench/lossy_link.py's job.
    counts = [c for _, c in viewer.counters]
    assert counts == sorted(counts) and counts[-1] > counts[0], counts[:20]
    before = len(viewer.counters)
    await wait_for(lambda: len(viewer.counters) >= before + 30, timeout=30)

    await viewer.close()
    await pub.pc.close()
    uplink.relay.close()
    downlink.relay.close()
    for p in (host, observer):
        await p.sio.disconnect()
