"""ICE servers: parsing, TURN REST credentials (byte-checked), and real allocations against coturn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import aioice.stun
import aioice.turn
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from media.ice import (
    IceServers,
    announce_address,
    parse_announced_address,
    parse_ice_servers,
    parse_port_range,
    parse_turn_urls,
    rtc_configuration,
    turn_rest_credentials,
)
from server.errors import ConfigError
from tests.support.api import Api
from tests.support.coturn import Coturn
from tests.support.media import make_venue, room_with_host, wait_for
from tests.support.media_clients import CounterTrack, ToneTrack, Viewer, publisher_offer
from tests.support.server import make_settings, running_server
from tests.support.tls import TestCA

SECRET = "north-wind-secret"


def test_parse_stun_and_turn() -> None:
    servers = parse_ice_servers(
        "stun:stun.example.org:3478, turn:alice:s3cret@turn.example.org:3478?transport=tcp"
    )
    assert [s.urls for s in servers] == [
        "stun:stun.example.org:3478",
        "turn:turn.example.org:3478?transport=tcp",
    ]
    assert (servers[1].username, servers[1].credential) == ("alice", "s3cret")
    assert parse_ice_servers("") == []
    assert rtc_configuration([]).iceServers == []  # no default public STUN server


@pytest.mark.parametrize("bad", ["http://x", "turn:host:3478", "stun", "turn::pw@host:1"])
def test_bad_entries_fail_fast(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_ice_servers(bad)


def test_turn_rest_credentials_match_coturns_formula() -> None:
    # printf '%s' "1700003600:42" | openssl dgst -sha1 -hmac "north-wind-secret" -binary | base64
    assert turn_rest_credentials(SECRET, "42", 1700003600) == (
        "1700003600:42",
        "lX5Gk8AKmXn0FUqv/skP+33Jzio=",
    )


@pytest.mark.parametrize(
    "bad",
    ["stun:turn.example.org:3478", "turn:u:p@turn.example.org", "turn:h:3478?transport=sctp",
     "turns:h:443?transport=udp", "https://turn.example.org"],
)  # fmt: skip
def test_bad_turn_urls_fail_fast(bad: str) -> None:
    with pytest.raises(ConfigError, match="MOKE_MEDIA_TURN_URLS"):
        parse_turn_urls(bad)


def test_turn_needs_a_secret_and_a_positive_ttl() -> None:
    with pytest.raises(ConfigError, match="MOKE_MEDIA_TURN_SECRET"):
        IceServers.from_settings("", "turn:turn.example.org:3478", "", 600)
    with pytest.raises(ConfigError, match="MOKE_MEDIA_TURN_TTL"):
        IceServers.from_settings("", "turn:turn.example.org:3478", SECRET, 0)


def test_browsers_get_stun_and_minted_turn_never_a_configured_password() -> None:
    urls = "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443?transport=tcp"
    ice = IceServers(
        parse_ice_servers("stun:stun.example.org:3478, turn:ops:long-lived@turn.example.org:3478"),
        parse_turn_urls(urls),
        SECRET,
        600,
        clock=lambda: 1700003000.7,
    )
    browser = ice.for_browser(42)
    assert browser.expires_at == 1700003600
    assert [s.urls for s in browser.servers] == [
        ["stun:stun.example.org:3478"],
        ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"],
    ]
    assert (browser.servers[1].username, browser.servers[1].credential) == (
        "1700003600:42",
        "lX5Gk8AKmXn0FUqv/skP+33Jzio=",
    )
    assert "long-lived" not in repr(browser)
    server = ice.for_server().iceServers
    assert (
        server is not None and server[0].username == "1700003600:moke-server"
    )  # minted first: aiortc uses it
    assert [s.username for s in server[1:]] == [None, "ops"]  # the static ones follow
    plain = IceServers(parse_ice_servers("stun:stun.example.org:3478"), [], "", 600)
    assert plain.for_browser(1).expires_at is None and len(plain.for_browser(1).servers) == 1


class _Sink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)


async def _allocate(
    server: tuple[str, int], username: str, password: str, transport: str, ssl: object = None
) -> tuple[aioice.turn.TurnTransport, _Sink]:
    return await aioice.turn.create_turn_endpoint(
        _Sink,
        server_addr=server,
        username=username,
        password=password,
        transport=transport,
        ssl=ssl,  # type: ignore[arg-type]
    )


async def test_coturn_allocates_with_minted_credentials_and_refuses_a_wrong_secret(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "ca")
    issued = ca.issue("127.0.0.1", stem="turn")
    with Coturn(tmp_path / "coturn", SECRET, cert=issued.cert, key=issued.key) as turn:
        urls = (f"turn:127.0.0.1:{turn.port}?transport=udp, turn:127.0.0.1:{turn.port}?transport=tcp, "
                f"turns:127.0.0.1:{turn.tls_port}?transport=tcp")  # fmt: skip
        minted = IceServers([], parse_turn_urls(urls), SECRET, 600).for_browser(7).servers[-1]
        assert minted.username is not None and minted.credential is not None
        # a peer outside (here: a plain UDP socket) receives what the client sends through each relay
        loop = asyncio.get_running_loop()
        peer_transport, peer = await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", 0))
        peer_addr = peer_transport.get_extra_info("sockname")
        try:
            for transport, port, ssl in (
                ("udp", turn.port, None),
                ("tcp", turn.port, None),
                ("tcp", turn.tls_port, ca.client_context()),  # TURN over TLS (turns:), our CA
            ):
                relay, _ = await _allocate(
                    ("127.0.0.1", port), minted.username, minted.credential, transport, ssl
                )
                try:
                    relayed = relay.get_extra_info("sockname")
                    assert relayed[0] == "127.0.0.1" and relayed[1] != port
                    relay.sendto(f"via {transport} {port}".encode(), peer_addr)
                    assert (
                        await asyncio.wait_for(peer.received.get(), 10) == f"via {transport} {port}".encode()
                    )
                finally:
                    relay.close()

            wrong_user, wrong_password = turn_rest_credentials("not-the-secret", "7", 4102444800)
            with pytest.raises(aioice.stun.TransactionFailed) as refused:
                await _allocate(("127.0.0.1", turn.port), wrong_user, wrong_password, "udp")
            assert refused.value.response.attributes["ERROR-CODE"][0] == 401
            expired_user, expired_password = turn_rest_credentials(SECRET, "7", 1700000000)  # in the past
            with pytest.raises(aioice.stun.TransactionFailed):
                await _allocate(("127.0.0.1", turn.port), expired_user, expired_password, "udp")
        finally:
            peer_transport.close()


ANSWER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=video 40002 UDP/TLS/RTP/SAVPF 97", "c=IN IP4 10.1.2.3",
    "a=candidate:a1 1 udp 2130706431 10.1.2.3 40002 typ host",
    "a=candidate:b2 1 udp 2130706431 172.17.0.1 40003 typ host",
    "a=candidate:c3 1 udp 2130706431 2001:db8::7 40004 typ host",
    "a=candidate:d4 1 udp 1694498815 198.51.100.9 40002 typ srflx raddr 10.1.2.3 rport 40002",
    "a=candidate:e5 1 udp 16777215 198.51.100.20 50000 typ relay raddr 10.1.2.3 rport 40002",
    "a=end-of-candidates",
    "m=audio 40002 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 10.1.2.3",
    "a=candidate:a1 1 udp 2130706431 10.1.2.3 40002 typ host",
    "a=candidate:b2 1 udp 2130706431 172.17.0.1 40003 typ host",
    "",
])  # fmt: skip


def test_announced_address_replaces_ipv4_host_candidates_in_every_section() -> None:
    out = announce_address(ANSWER, "203.0.113.10")
    assert out.count("203.0.113.10 40002 typ host") == 2 and out.count("203.0.113.10 40003 typ host") == 2
    assert "10.1.2.3 4000" not in out.replace("raddr 10.1.2.3", "") and "172.17.0.1" not in out
    assert out.count("c=IN IP4 203.0.113.10") == 2
    for kept in (
        "2001:db8::7 40004 typ host",
        "198.51.100.9 40002 typ srflx",
        "198.51.100.20 50000 typ relay",
    ):
        assert kept in out
    assert out.endswith("\r\n") and out.count("\r\n") == ANSWER.count("\r\n")
    # two interfaces bound on the same port would become one candidate twice: kept once per section
    same_port = ANSWER.replace("172.17.0.1 40003", "172.17.0.1 40002")
    assert announce_address(same_port, "203.0.113.10").count("203.0.113.10 40002 typ host") == 2


def test_announced_address_and_port_range_settings() -> None:
    assert parse_announced_address("") is None and parse_announced_address(" 203.0.113.10 ") == "203.0.113.10"
    for bad in ("moke.example.edu.cn", "2001:db8::1", "300.1.1.1"):
        with pytest.raises(ConfigError, match="MOKE_MEDIA_ANNOUNCED_ADDRESS"):
            parse_announced_address(bad)
    assert parse_port_range("") is None
    assert parse_port_range("40000-40999") == (40000, 40999) and parse_port_range("40000") == (40000, 40000)
    for bad in ("40999-40000", "80-90", "40000-70000", "a-b", "40000:40999"):
        with pytest.raises(ConfigError, match="MOKE_MEDIA_UDP_PORTS"):
            parse_port_range(bad)


def _relay_only(server: dict[str, object], url: str) -> RTCConfiguration:
    """A school client that can reach only ``url`` (TURN over TCP or TLS), with the server's credentials."""
    assert url in server["urls"]  # type: ignore[operator]
    turn = RTCIceServer(urls=url, username=str(server["username"]), credential=str(server["credential"]))
    return RTCConfiguration(iceServers=[turn], iceTransportPolicy=RTCIceTransportPolicy.RELAY)


def _local_types(pc: RTCPeerConnection) -> set[str]:
    gatherer = pc.getTransceivers()[0].receiver.transport.transport.iceGatherer  # bundled: one transport
    return {c.type for c in gatherer.getLocalCandidates()}


async def test_school_with_only_outbound_tcp_reaches_moke_through_turn_over_tcp_and_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCA(tmp_path / "ca")
    issued = ca.issue("127.0.0.1", stem="turn")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_path))  # aioice checks turns: against the default CAs
    with Coturn(tmp_path / "coturn", SECRET, cert=issued.cert, key=issued.key) as turn:
        tcp_url = f"turn:127.0.0.1:{turn.port}?transport=tcp"
        tls_url = f"turns:127.0.0.1:{turn.tls_port}?transport=tcp"
        settings = make_settings(
            tmp_path / "var",
            media_ice_loopback=True,
            media_turn_urls=f"{tcp_url}, {tls_url}",
            media_turn_secret=SECRET,
        )
        async with running_server(settings) as server, aiohttp.ClientSession() as http:
            api = Api(http, server.url)
            room_id, host = await room_with_host(server, api)
            venue = await make_venue(server, room_id, host.user_id)
            status, ice = await api.call("GET", "/api/media/ice", token=host.token)
            assert status == 200
            minted = ice["ice_servers"][-1]

            camera = CounterTrack()
            pc = await publisher_offer(camera, ToneTrack(), config=_relay_only(minted, tcp_url))
            reply = await host.call(
                "media:publish",
                {"room_id": room_id, "venue_id": venue, "sdp": pc.localDescription.sdp, "type": "offer"},
            )
            assert reply["ok"], reply
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))

            viewer = Viewer(config=_relay_only(minted, tls_url))
            reply = await host.call(
                "media:watch", {"room_id": room_id, "source": f"venue:{venue}", **await viewer.offer()}
            )
            assert reply["ok"], reply
            await viewer.accept(reply)
            await wait_for(lambda: len(viewer.counters) >= 10, timeout=30)
            assert _local_types(pc) == {"relay"} and _local_types(viewer.pc) == {"relay"}
            assert pc.connectionState == "connected" and viewer.pc.connectionState == "connected"
            await viewer.close()
            await pc.close()
            await host.sio.disconnect()
