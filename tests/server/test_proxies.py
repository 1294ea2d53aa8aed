"""Trusted proxies: the forwarded client address is believed only from configured proxies.

Pure rules first, then ``moke serve`` over HTTPS with a trusted-proxy list: the invite-guessing
limit counts a trusted proxy's forwarded client, and ignores what an untrusted peer claims.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from server.errors import ConfigError
from server.proxies import client_address, parse_node, parse_trusted
from tests.support.server import ServerProcess
from tests.support.tls import TestCA

PROXIES = parse_trusted("10.0.0.0/8, 192.168.1.5, ::1")


def test_parse_trusted_and_nodes() -> None:
    assert [str(n) for n in PROXIES] == ["10.0.0.0/8", "192.168.1.5/32", "::1/128"]
    assert parse_trusted("") == ()
    with pytest.raises(ConfigError, match=r"MOKE_TRUSTED_PROXIES: 'proxy\.local'"):
        parse_trusted("10.0.0.1, proxy.local")
    assert str(parse_node("203.0.113.7:4711")) == "203.0.113.7"
    assert str(parse_node('"[2001:db8::1]:80"')) == "2001:db8::1"
    assert str(parse_node("2001:db8::1")) == "2001:db8::1"
    assert parse_node("unknown") is None and parse_node("_hidden") is None


@pytest.mark.parametrize(
    ("peer", "chain", "expected"),
    [
        ("10.0.0.2", ["203.0.113.7"], "203.0.113.7"),  # one trusted proxy
        ("10.0.0.2", ["203.0.113.7", "192.168.1.5"], "203.0.113.7"),  # two trusted hops
        ("10.0.0.2", ["6.6.6.6", "203.0.113.7"], "203.0.113.7"),  # a forged entry left of the client
        ("198.51.100.9", ["203.0.113.7"], "198.51.100.9"),  # an untrusted peer: headers ignored
        ("10.0.0.2", [], "10.0.0.2"),  # a proxy's own request (health check)
        ("10.0.0.2", ["10.0.0.3"], "10.0.0.3"),  # every hop trusted: the leftmost
        ("10.0.0.2", ["203.0.113.7", "unknown"], "10.0.0.2"),  # cannot vouch past a non-address
        ("::ffff:10.0.0.2", ["203.0.113.7"], "203.0.113.7"),  # dual-stack socket
    ],
)
def test_client_address_walks_from_the_nearest_hop(peer: str, chain: list[str], expected: str) -> None:
    assert client_address(peer, chain, PROXIES) == expected


async def _guess(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
    async with http.get(url + "/api/invites/ZZZZZZZZ", headers=headers) as resp:
        return resp.status


async def test_serve_https_behind_trusted_proxy_counts_forwarded_client_for_invite_limit(
    tmp_path: Path,
) -> None:
    ca = TestCA(tmp_path / "ca")
    issued = ca.issue("127.0.0.1")
    srv = ServerProcess(
        tmp_path / "var",
        env={
            "MOKE_TLS_CERT": str(issued.cert),
            "MOKE_TLS_KEY": str(issued.key),
            "MOKE_TRUSTED_PROXIES": "127.0.0.1",  # the proxy; 127.0.0.2 is an ordinary client
            "MOKE_ROOMS_INVITE_ATTEMPTS": "3",
        },
    )
    await srv.start()
    try:
        assert srv.url.startswith("https://127.0.0.1:")
        proxy = aiohttp.TCPConnector(ssl=ca.client_context(), local_addr=("127.0.0.1", 0))
        direct = aiohttp.TCPConnector(ssl=ca.client_context(), local_addr=("127.0.0.2", 0))
        async with (
            aiohttp.ClientSession(connector=proxy) as via_proxy,
            aiohttp.ClientSession(connector=direct) as untrusted,
        ):
            async with via_proxy.get(srv.url + "/healthz") as resp:
                assert resp.status == 200  # TLS with a certificate from our CA
            # one school client behind the proxy uses up its guesses ...
            school = {"X-Forwarded-For": "203.0.113.7"}
            assert [await _guess(via_proxy, srv.url, school) for _ in range(3)] == [404, 404, 404]
            assert await _guess(via_proxy, srv.url, school) == 429
            assert await _guess(via_proxy, srv.url, {"Forwarded": 'for="203.0.113.7:5555"'}) == 429
            # ... which does not block another client behind the same proxy
            other = {"X-Forwarded-For": "6.6.6.6, 203.0.113.8"}
            assert await _guess(via_proxy, srv.url, other) == 404
            # an untrusted peer cannot dodge the limit by claiming a new address each time
            claims = [{"X-Forwarded-For": f"198.51.100.{i}"} for i in range(4)]
            assert [await _guess(untrusted, srv.url, h) for h in claims] == [404, 404, 404, 429]
            # the counter belongs to the address, however it arrives: 127.0.0.2 via the proxy is blocked too
            assert await _guess(via_proxy, srv.url, {"X-Forwarded-For": "127.0.0.2"}) == 429
        with pytest.raises(aiohttp.ClientError):  # plain HTTP gets no answer on the TLS port
            async with (
                aiohttp.ClientSession() as plain,
                plain.get(srv.url.replace("https", "http") + "/healthz") as resp,
            ):
                await resp.read()
    except BaseException:
        srv.kill()  # a failure above may leave peers open: do not wait for them
        raise
    assert srv.terminate() == 0
