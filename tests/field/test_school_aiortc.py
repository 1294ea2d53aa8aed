"""aiortc clients on the school network: a venue publishes a counter camera from behind the school's
NAT, the host puts it on the program, and a viewer in the same school decodes the program. Which
candidate pair carried the media is read from each peer's ICE agent."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests.support.api import Api
from tests.support.field import Deployment, connect, put_on_program, showcase
from tests.support.impair import Impairment, UdpImpairer
from tests.support.media_clients import CounterTrack, read_counter
from tests.support.netns import ROUTER_LAN_IP, SERVER_IP_2, Firewall


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


# Which URL a peer ("publisher" or "viewer") uses for each ICE server URL the server offers; None: none.
Route = Callable[[str, str], str | None]


def as_offered(role: str, url: str) -> str | None:
    return url


def only(wanted: str) -> Route:
    return lambda role, url: url if url == wanted else None


async def ice_servers(
    dep: Deployment, session: dict[str, Any], role: str, route: Route
) -> list[RTCIceServer]:
    """What ``GET /api/media/ice`` gives this user (STUN, TURN with minted credentials), one entry per URL,
    as ``route`` picks them: aiortc uses only the first TURN URL, so a client picks the one its network
    lets through, as a browser would by trying them all."""
    async with dep.http() as http:
        status, body = await Api(http, dep.url).call("GET", "/api/media/ice", token=session["token"])
    assert status == 200, body
    servers = []
    for entry in body["ice_servers"]:
        for offered in entry["urls"]:
            url = route(role, offered)
            if url is not None:
                servers.append(RTCIceServer(url, entry.get("username"), entry.get("credential")))
    return servers


async def publish_and_watch(dep: Deployment, route: Route, want: int = 30) -> Outcome:
    """The venue's presenter publishes, the host puts the venue on the program, an observer watches it."""
    show = await showcase(dep)
    pub = RTCPeerConnection(RTCConfiguration(await ice_servers(dep, show.presenter, "publisher", route)))
    viewer = RTCPeerConnection(RTCConfiguration(await ice_servers(dep, show.observer, "viewer", route)))
    http = dep.http()
    presenter = await connect(dep, http, show.presenter)
    observer = await connect(dep, http, show.observer)
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
        await put_on_program(dep, show)

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
        await http.close()


def _counting_up(frames: list[int]) -> None:
    """The frames decoded are the publisher's, in order: their counters rise (allowing for a lost one)."""
    rises = sum(1 for a, b in itertools.pairwise(frames) if b > a)
    assert rises >= len(frames) * 0.8, frames


def test_through_nat_over_udp(school: Deployment) -> None:
    outcome = school.net.school.run(lambda: publish_and_watch(school, as_offered))
    _counting_up(outcome.frames)
    print("aiortc, open network:", outcome.publisher, outcome.viewer)
    # the school's private host address is useless to the server: it answers the check that came from
    # the router's address (a peer-reflexive candidate on its side), and media flows over UDP through the
    # NAT although a TURN server was offered
    for pair in (outcome.publisher, outcome.viewer):
        assert (pair.local_type, pair.local_protocol) == ("host", "udp"), pair
        assert (pair.remote_type, pair.remote_protocol) == ("host", "udp"), pair


@pytest.mark.parametrize(
    ("firewall", "turn_url", "relay"),
    [
        ("no-udp", "turn:{ip}:3478?transport=tcp", "tcp"),
        ("tcp443-only", "turns:{ip}:443?transport=tcp", "tls"),
    ],
    ids=["no-udp", "tcp443-only"],
)
def test_relayed_when_the_school_blocks_udp(
    school: Deployment, monkeypatch: pytest.MonkeyPatch, firewall: Firewall, turn_url: str, relay: str
) -> None:
    school.net.firewall(firewall)
    # aioice opens TURN over TLS with the default context: make it trust the test CA
    monkeypatch.setenv("SSL_CERT_FILE", str(school.ca.cert_path))
    url = turn_url.format(ip=SERVER_IP_2)
    outcome = school.net.school.run(lambda: publish_and_watch(school, only(url)))
    _counting_up(outcome.frames)
    print(f"aiortc, {firewall}:", outcome.publisher, outcome.viewer)
    for pair in (outcome.publisher, outcome.viewer):
        assert (pair.local_type, pair.local_protocol, pair.relay_protocol) == ("relay", "udp", relay), pair
        assert pair.remote_protocol == "udp", pair


def test_program_plays_over_an_impaired_school_link(school: Deployment) -> None:
    """A rural school: 5 % loss, 50 ± 20 ms and 2 Mbit/s each way between the school and the district
    (tests/support/impair.py on the router: this kernel has no netem). UDP out of the school is dropped
    except to the router's relay towards coturn, so all media crosses the impaired link."""
    school.net.firewall("no-udp")
    link = Impairment(loss=0.05, delay=0.05, jitter=0.02, rate_bps=2_000_000)
    coturn_udp = f"turn:{SERVER_IP_2}:3478?transport=udp"
    ports = {"publisher": 3478, "viewer": 3479}  # the relay serves one peer per port

    def impaired(role: str, url: str) -> str | None:
        return f"turn:{ROUTER_LAN_IP}:{ports[role]}?transport=udp" if url == coturn_udp else None

    with school.net.router.loop() as loop:
        relays = [
            asyncio.run_coroutine_threadsafe(
                UdpImpairer(
                    link, seed=port, host=ROUTER_LAN_IP, a_port=port, target=(SERVER_IP_2, 3478)
                ).start(),
                loop,
            ).result(10)
            for port in ports.values()
        ]
        try:
            outcome = school.net.school.run(lambda: publish_and_watch(school, impaired, want=90))
        finally:
            for relay in relays:
                loop.call_soon_threadsafe(relay.close)
    _counting_up(outcome.frames)
    stats = {
        role: {d: vars(s) for d, s in relay.stats.items()} for role, relay in zip(ports, relays, strict=True)
    }
    print("aiortc, impaired link:", outcome.publisher, outcome.viewer, stats)
    for pair in (outcome.publisher, outcome.viewer):
        assert (pair.local_type, pair.relay_protocol) == ("relay", "udp"), pair
    # the media really crossed the link (school -> district for the publisher, back for the viewer), and
    # the link really lost some of it
    for relay, media in zip(relays, ("a->b", "b->a"), strict=True):
        assert relay.stats[media].delivered > 0 and relay.stats[media].dropped_loss > 0, stats
