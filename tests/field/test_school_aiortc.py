"""aiortc clients on the school network: a venue publishes a counter camera from behind the school's
NAT, the host puts it on the program, and a viewer in the same school decodes the program. Which
candidate pair carried the media is read from each peer's ICE agent."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import av
import socketio
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests.field.conftest import Deployment
from tests.media.clients import CounterTrack, read_counter
from tests.support.api import Api


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


async def publish_and_watch(base: str, ice: list[RTCIceServer] | None, want: int = 30) -> Outcome:
    """Set up a showcase over REST, publish its venue, put it on the program and watch the program."""
    async with aiohttp.ClientSession() as http:
        api = Api(http, base)
        host = await api.register(display_name="教研员")
        status, room = await api.call("POST", "/api/rooms", token=host["token"],
                                      json={"title": "网络展示交流", "kind": "showcase"})  # fmt: skip
        assert status == 201, room
        status, venue = await api.call("POST", f"/api/rooms/{room['id']}/venues", token=host["token"],
                                       json={"name": "三小"})  # fmt: skip
        assert status == 201, venue
        config = RTCConfiguration(iceServers=ice or [])

        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        await sio.connect(base, auth={"token": host["token"]}, transports=["websocket"], wait_timeout=10)
        pcs: list[RTCPeerConnection] = []
        try:
            joined = await sio.call("room:join", {"room_id": room["id"]}, timeout=10)
            assert joined["ok"], joined

            pub = RTCPeerConnection(config)
            pcs.append(pub)
            pub.addTransceiver(CounterTrack(fps=15), direction="sendonly")
            await pub.setLocalDescription(await pub.createOffer())
            reply = await sio.call("media:publish", {"room_id": room["id"], "venue_id": venue["id"],
                                                     "sdp": pub.localDescription.sdp, "type": "offer"},
                                   timeout=30)  # fmt: skip
            assert reply["ok"], reply
            await pub.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
            await _live(api, host["token"], room["id"], venue["id"])
            switched = await sio.call("venue:switch", {"room_id": room["id"], "venue_id": venue["id"],
                                                       "epoch": 0}, timeout=10)  # fmt: skip
            assert switched["ok"], switched

            viewer = RTCPeerConnection(config)
            pcs.append(viewer)
            viewer.addTransceiver("video", direction="recvonly")
            frames: list[int] = []
            tasks: list[asyncio.Task[None]] = []
            viewer.on("track", lambda track: tasks.append(asyncio.ensure_future(_frames(track, frames))))
            await viewer.setLocalDescription(await viewer.createOffer())
            reply = await sio.call("media:watch", {"room_id": room["id"], "source": "program",
                                                   "sdp": viewer.localDescription.sdp, "type": "offer"},
                                   timeout=30)  # fmt: skip
            assert reply["ok"], reply
            await viewer.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
            deadline = time.monotonic() + 60
            while len(frames) < want:
                assert time.monotonic() < deadline, f"{len(frames)} program frames arrived; states " + str(
                    [pub.connectionState, viewer.connectionState]
                )
                await asyncio.sleep(0.1)
            return Outcome(list(frames), nominated_pair(pub), nominated_pair(viewer))
        finally:
            for pc in pcs:
                await pc.close()
            await sio.disconnect()


async def _live(api: Api, token: str, room_id: str, venue_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status, program = await api.call("GET", f"/api/rooms/{room_id}/program", token=token)
        assert status == 200, program
        if venue_id in program["live"]:
            return
        assert time.monotonic() < deadline, f"venue never live: {program}"
        await asyncio.sleep(0.1)


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
