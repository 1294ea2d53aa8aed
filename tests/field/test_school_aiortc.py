"""aiortc clients on the school network: a venue publishes a counter camera from behind the school's
NAT, the host puts it on the program, and a viewer in the same school decodes the program. Which
candidate pair carried the media is read from each peer's ICE agent."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

import av
import socketio
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests.field.conftest import Deployment, put_on_program, showcase
from tests.media.clients import CounterTrack, read_counter


@dataclass
class Pair:
    """The nominated ICE candidate pair of a peer connection, as getStats would name it."""

    local_type: str
    local_protocol: str
    remote_type: str
    remote_protocol: str
    relay_protocol: str | None  # how a relay candidate reaches its TURN server: udp, tcp or tls


def nominated_pair(pc: RTCPeerConnection) -> Pair:
    """aiortc's getStats has no candidate pairs: read aioice's nominated pair (aiortc 1.16 / aioice 0.13
    internals; an upgrade that moves them fails here loudly)."""
    ice = pc.getTransceivers()[0].receiver.transport.transport
    conn = ice._connection
    pair = conn._nominated[1]
    local, remote = pair.local_candidate, pair.remote_candidate
    relay = None
    if local.type == "relay":
        relay = "tls" if conn.turn_ssl else conn.turn_transport
    return Pair(local.type, local.transport, remote.type, remote.transport, relay)


@dataclass
class Outcome:
    frames: list[int]  # counters of decoded program frames, in arrival order
    publisher: Pair
    viewer: Pair


async def _frames(track: MediaStreamTrack, out: list[int]) -> None:
    try:
        while True:
            frame = await track.recv()
            assert isinstance(frame, av.VideoFrame)
            out.append(read_counter(frame))
    except MediaStreamError:
        return


async def _connect(base: str, session: dict[str, Any]) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    await sio.connect(base, auth={"token": session["token"]}, transports=["websocket"], wait_timeout=10)
    return sio


async def publish_and_watch(base: str, ice: list[RTCIceServer] | None, want: int = 30) -> Outcome:
    """The venue's presenter publishes, the host puts the venue on the program, an observer watches it."""
    show = await showcase(base)
    config = RTCConfiguration(iceServers=ice or [])
    presenter = await _connect(base, show.presenter)
    observer = await _connect(base, show.observer)
    pub, viewer = RTCPeerConnection(config), RTCPeerConnection(config)
    tasks: list[asyncio.Task[None]] = []
    try:
        for sio in (presenter, observer):
            joined = await sio.call("room:join", {"room_id": show.room_id}, timeout=10)
            assert joined["ok"], joined

        pub.addTransceiver(CounterTrack(fps=15), direction="sendonly")
        await pub.setLocalDescription(await pub.createOffer())
        reply = await presenter.call("media:publish", {"room_id": show.room_id, "venue_id": show.venue_id,
                                                       "sdp": pub.localDescription.sdp, "type": "offer"},
                                     timeout=30)  # fmt: skip
        assert reply["ok"], reply
        await pub.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
        await put_on_program(base, show)

        viewer.addTransceiver("video", direction="recvonly")
        frames: list[int] = []
        viewer.on("track", lambda track: tasks.append(asyncio.ensure_future(_frames(track, frames))))
        await viewer.setLocalDescription(await viewer.createOffer())
        reply = await observer.call("media:watch", {"room_id": show.room_id, "source": "program",
                                                    "sdp": viewer.localDescription.sdp, "type": "offer"},
                                    timeout=30)  # fmt: skip
        assert reply["ok"], reply
        await viewer.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
        deadline = time.monotonic() + 60
        while len(frames) < want:
            states = [pub.connectionState, viewer.connectionState]
            assert time.monotonic() < deadline, f"{len(frames)} program frames arrived; peers {states}"
            await asyncio.sleep(0.1)
        return Outcome(list(frames), nominated_pair(pub), nominated_pair(viewer))
    finally:
        for pc in (pub, viewer):
            await pc.close()
        for task in tasks:
            task.cancel()
        for sio in (presenter, observer):
            await sio.disconnect()


def _counting_up(frames: list[int]) -> None:
    """The frames decoded are the publisher's, in order: their counters rise (allowing for a lost one)."""
    rises = sum(1 for a, b in itertools.pairwise(frames) if b > a)
    assert rises >= len(frames) * 0.8, frames


def test_through_nat_over_udp(school: Deployment) -> Any:
    outcome = school.net.school.run(lambda: publish_and_watch(school.url, None))
    _counting_up(outcome.frames)
    print("aiortc nat:", outcome.publisher, outcome.viewer)
    # the school's private host address is useless to the server: it answers the check that came from
    # the router's address, a peer-reflexive candidate, and media flows over UDP through the NAT
    for pair in (outcome.publisher, outcome.viewer):
        assert pair.local_type == "host" and pair.local_protocol == "udp"
        assert pair.remote_type == "host" and pair.remote_protocol == "udp"
