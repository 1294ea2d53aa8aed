"""Forwarding to viewers: lost packets resent from the viewer's sender; temporal layers dropped per viewer."""

from __future__ import annotations

import asyncio
import itertools
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from media.peers import ViewerPeer, parse_offer
from media.registry import MediaSource, SourceRegistry
from media.source import make_packet
from rooms.permissions import Role
from server.config import Settings
from tests.support.api import Api
from tests.support.impair import Impairment, UdpImpairer
from tests.support.layered_vp8 import chromium_publisher, chromium_viewer
from tests.support.layered_vp8 import load as load_layered
from tests.support.media import Link, make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.media_clients import Viewer, no_ice, read_counter
from tests.support.server import RunningServer, make_settings


def decode_vp8(frames: list[bytes]) -> list[av.VideoFrame]:
    codec = av.CodecContext.create("libvpx", "r")
    return [picture for data in frames for picture in codec.decode(av.Packet(data))]


def subsequence(got: list[int], expected: list[int]) -> list[int]:
    """Where each of ``got`` is in ``expected``, in order; fails when ``got`` is not a subsequence."""
    positions, at = [], 0
    for n in got:
        assert n in expected[at:], f"picture {n} is not the source's next ones {expected[at : at + 8]}"
        at = expected.index(n, at) + 1
        positions.append(at - 1)
    return positions


async def watch_source(source: MediaSource, link: Link | None = None) -> tuple[Viewer, ViewerPeer]:
    """An aiortc viewer of ``source`` through the relay's viewer peer (no server around it)."""
    viewer = Viewer(audio=False)
    peer = ViewerPeer(source, no_ice(), None, user_id=2)
    offer = await viewer.offer()
    sdp = offer["sdp"] if link is None else await link.offer(offer["sdp"])
    answer = await peer.answer(parse_offer(sdp, offer["type"]))
    await viewer.accept({"sdp": answer.sdp if link is None else link.answer(answer.sdp), "type": answer.type})
    return viewer, peer


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


async def test_dropped_temporal_layers_leave_a_continuous_decodable_stream() -> None:
    """Chromium's L1T3 frames (recorded) to two aiortc viewers: one gets every layer; the other is pinned to
    layer 0 a third of the way in and back to layer 2 two thirds in. Every frame each viewer is sent decodes to
    a picture of the source, in order: nothing broken at a switch down or up (decode errors: zero)."""
    frames = load_layered()
    expected = [read_counter(f) for f in decode_vp8([f.data for f in frames])]
    source = SourceRegistry().ensure("r1", "venue:v1")
    source.video.attach("video/VP8", None)
    viewers = [await watch_source(source) for _ in range(2)]
    await wait_for(lambda: all(v.connected_at for v, _ in viewers), timeout=20)
    await asyncio.sleep(0.5)  # the senders' loops are running
    (full, full_peer), (thin, thin_peer) = viewers
    full_peer.pin_layer(2, None)  # the top layer whatever this busy machine's RTCP says
    [thin_track] = thin_peer.tracks
    start = time.monotonic()
    for i, f in enumerate(frames):
        if i == len(frames) // 3:
            thin_peer.pin_layer(0, None)
        elif i == 2 * len(frames) // 3:
            thin_peer.pin_layer(2, None)  # every layer again, one more at each layer sync
        await asyncio.sleep(max(0.0, start + i / 30 - time.monotonic()))
        source.video.push(make_packet(f.data, f.timestamp, Fraction(1, 90000)), f.keyframe, f.tid, f.sync)
    # an aiortc viewer decodes a frame when the next one starts: all but the last
    await wait_for(lambda: len(full.counters) >= len(frames) - 1 and len(thin.counters) >= thin_track.sent - 1,
                   timeout=20)  # fmt: skip
    got_full = [n for _, n in full.counters]
    got_thin = [n for _, n in thin.counters]
    assert got_full == expected[:-1]
    assert len(got_thin) == thin_track.sent - 1 and thin_track.skipped == len(frames) - thin_track.sent > 0
    positions = subsequence(got_thin, expected)  # pictures of the source, in order (a broken one is not)
    pinned = [p for p in positions if len(frames) // 3 + 1 < p < 2 * len(frames) // 3]
    assert pinned and all(frames[p].tid == 0 for p in pinned)  # only layer 0 while pinned
    assert (thin_track.layers.current, thin_track.layers.switches) == (2, 3)  # down at once, up 0 -> 1 -> 2
    for viewer, peer in viewers:
        await viewer.close()
        await peer.close()


async def test_a_throttled_viewer_settles_on_a_lower_layer_and_climbs_back_when_the_throttle_lifts() -> None:
    """Chromium publishes 640x480 VP8 L1T3 at about 1.2 Mbit/s; one aiortc viewer's link is capped at 800 kbit/s
    (user space, 64 KB queue), the other's is not. The capped viewer's receiver reports show the loss and it
    steps down; the other keeps the top layer; when the cap lifts, clean reports bring it back up."""
    source = SourceRegistry().ensure("r1", "venue:v1")
    throttle = Impairment(rate_bps=800_000)
    link = Link(Impairment())
    link.relay = UdpImpairer(Impairment(), throttle, seed=3)  # server -> viewer capped
    async with chromium_publisher(source, width=640, height=480, kbps=1200, noise=True):
        thin, thin_peer = await watch_source(source, link)
        full, full_peer = await watch_source(source)
        [thin_track], [full_track] = thin_peer.tracks, full_peer.tracks
        await wait_for(lambda: len(full.counters) > 0, timeout=20)
        await wait_for(lambda: thin_track.layers.current < 2, timeout=10)  # ~2 s here: two reports
        assert thin_track.adapter.loss > 0 or thin_track.adapter.steps_down > 0
        await asyncio.sleep(3)  # settled below the cap
        assert link.relay.stats["b->a"].dropped_queue > 0  # the cap did bite
        low = thin_track.layers.current
        link.relay.change(Impairment())
        await wait_for(lambda: thin_track.layers.current == 2, timeout=30)  # two climbs, 5 s clean each
        # the picture moves again (an aiortc viewer that lost packets for good at the cap's onset freezes
        # until its jitter buffer overflows and it asks for a keyframe: seconds; see docs/media.md)
        await wait_for(lambda: len(thin.counters) > 30, timeout=30)
    assert low < 2
    assert (full_track.layers.current, full_track.layers.switches) == (2, 0)  # the open link never dropped
    # the open link's pictures are the source's, in order; the capped viewer's once it recovered (at the cap's
    # onset it lost packets for good, and aiortc decodes the frames after a gap against stale references)
    counters = [n for _, n in full.counters]
    assert counters == sorted(counters) and len(counters) > 30, str(counters)
    recovered = [n for _, n in thin.counters][-20:]
    assert recovered == sorted(recovered), str(thin.counters)
    assert thin_track.skipped > 0 and full_track.skipped == 0
    for viewer, peer in ((thin, thin_peer), (full, full_peer)):
        await viewer.close()
        await peer.close()
    link.relay.close()


async def test_chromium_plays_on_through_layer_switches_without_asking_for_a_keyframe() -> None:
    """libwebrtc's VP8 receiver follows TL0PICIDX (and picture ids): the relay's rewritten descriptors must let
    it decode on when a viewer drops to layer 0 and climbs back, with no keyframe and no PLI (a gap in
    TL0PICIDX stalls it here)."""
    source = SourceRegistry().ensure("r1", "venue:v1")
    async with chromium_publisher(source), chromium_viewer(source) as viewer:
        [track] = viewer.peer.tracks
        track.set_pins(2, None)  # the test decides, not this busy machine's RTCP

        async def decoded() -> int:
            return int((await viewer.inbound()).get("framesDecoded", 0))

        deadline = time.monotonic() + 30
        while await decoded() < 30:
            assert time.monotonic() < deadline, await viewer.inbound()
            await asyncio.sleep(0.2)
        before = await viewer.inbound()
        for layer in (0, 2, 1, 2):
            track.set_pins(layer, None)
            at = await decoded()
            await wait_for(lambda layer=layer: track.layers.current == layer, timeout=10)  # type: ignore[misc]
            deadline = time.monotonic() + 15
            while await decoded() < at + 15:  # decoding on at this layer
                assert time.monotonic() < deadline, (layer, await viewer.inbound())
                await asyncio.sleep(0.2)
        after = await viewer.inbound()
    assert track.skipped > 0 and track.layers.switches >= 4
    assert after["keyFramesDecoded"] == before["keyFramesDecoded"], (before, after)
    assert after["pliCount"] == before["pliCount"], (before, after)
