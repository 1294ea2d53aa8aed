"""ICE servers: parsing, TURN REST credentials (byte-checked), and real allocations against coturn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aioice.stun
import aioice.turn
import pytest

from media.ice import IceServers, parse_ice_servers, parse_turn_urls, rtc_configuration, turn_rest_credentials
from server.errors import ConfigError
from tests.support.coturn import Coturn
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
