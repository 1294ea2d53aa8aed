"""ICE servers for browsers and for the server's own peer connections (pure: no I/O).

Three settings feed it:

* ``MOKE_MEDIA_ICE_SERVERS``: ``stun:host:port`` or ``turn:user:pass@host:port[?transport=tcp]``
  (also ``turns:``), comma-separated. The server's aiortc peers use all of them; browsers get only the
  STUN entries, because a fixed TURN password handed to every browser is a password for everyone.
* ``MOKE_MEDIA_TURN_URLS`` + ``MOKE_MEDIA_TURN_SECRET``: TURN servers that share a secret with Moke
  (coturn ``use-auth-secret`` / ``static-auth-secret``). Each client gets credentials of its own that
  expire after ``MOKE_MEDIA_TURN_TTL`` seconds, minted with the TURN REST API scheme
  (draft-uberti-behave-turn-rest): username ``"<expiry unix time>:<user id>"``, password
  ``base64(HMAC-SHA1(secret, username))``.

None by default: aiortc would otherwise try a public STUN server, which costs seconds offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.errors import ConfigError

# aiortc (with PyAV, about 26 MB resident) is imported once ICE servers are configured or used
if TYPE_CHECKING:
    from aiortc import RTCConfiguration, RTCIceServer

SERVER_USER = "moke-server"  # the TURN user name of the server's own peer connections


def turn_rest_credentials(secret: str, user: str, expires_at: int) -> tuple[str, str]:
    """``(username, password)`` for coturn's ``use-auth-secret``: valid until ``expires_at`` (unix time)."""
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def parse_ice_servers(value: str) -> list[RTCIceServer]:
    """Parse ``MOKE_MEDIA_ICE_SERVERS``; raises :class:`ConfigError` naming the bad entry."""
    servers: list[RTCIceServer] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        from aiortc import RTCIceServer

        scheme, sep, rest = raw.partition(":")
        if not sep or scheme not in ("stun", "turn", "turns") or not rest:
            raise ConfigError(f"MOKE_MEDIA_ICE_SERVERS: {raw!r} is not stun:, turn: or turns: host:port")
        username = credential = None
        if "@" in rest:
            auth, _, rest = rest.rpartition("@")
            username, colon, credential = auth.partition(":")
            if not colon or not username:
                raise ConfigError(f"MOKE_MEDIA_ICE_SERVERS: {scheme} entry needs user:pass@host:port")
        elif scheme != "stun":
            raise ConfigError(f"MOKE_MEDIA_ICE_SERVERS: {scheme} entry needs user:pass@host:port")
        servers.append(RTCIceServer(urls=f"{scheme}:{rest}", username=username, credential=credential))
    return servers


def parse_turn_urls(value: str) -> list[str]:
    """Parse ``MOKE_MEDIA_TURN_URLS``: ``turn:host:port?transport=udp|tcp`` or ``turns:host:port?transport=tcp``."""
    urls: list[str] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        from aiortc.rtcicetransport import parse_stun_turn_uri

        try:
            parsed = parse_stun_turn_uri(raw)
        except ValueError:
            parsed = {}
        if parsed.get("scheme") not in ("turn", "turns") or parsed.get("transport") not in ("udp", "tcp"):
            raise ConfigError(
                f"MOKE_MEDIA_TURN_URLS: {raw!r} is not turn:host:port[?transport=udp|tcp] "
                "or turns:host:port[?transport=tcp] (no user or password: those are minted)"
            )
        if parsed["scheme"] == "turns" and parsed["transport"] != "tcp":
            raise ConfigError(f"MOKE_MEDIA_TURN_URLS: {raw!r}: TURN over TLS runs over TCP")
        urls.append(raw)
    return urls


def parse_port_range(value: str) -> tuple[int, int] | None:
    """``MOKE_MEDIA_UDP_PORTS``: ``"40000-40999"`` → ``(40000, 40999)``; empty → None (any port)."""
    if not value.strip():
        return None
    low, sep, high = value.partition("-")
    try:
        ports = (int(low), int(high)) if sep else (int(low), int(low))
    except ValueError:
        ports = (0, 0)
    if not 1024 <= ports[0] <= ports[1] <= 65535:
        raise ConfigError(f"MOKE_MEDIA_UDP_PORTS: {value!r} is not LOW-HIGH within 1024-65535")
    return ports


def parse_announced_address(value: str) -> str | None:
    """``MOKE_MEDIA_ANNOUNCED_ADDRESS``: one IPv4 address (the public side of a 1:1 NAT), or None."""
    if not value.strip():
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        address = None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ConfigError(f"MOKE_MEDIA_ANNOUNCED_ADDRESS: {value!r} is not an IPv4 address")
    return str(address)


def announce_address(sdp: str, address: str) -> str:
    """Put ``address`` in place of the IPv4 host candidates' addresses in ``sdp`` (and in ``c=`` lines
    that named one of them), as mediasoup's ``announcedAddress`` does.

    Behind a 1:1 NAT each private ``ip:port`` appears outside as ``address:port``, so a client that
    knows only the public address reaches the same socket. Candidates that become identical (one
    per interface) are kept once; relay, server-reflexive and IPv6 candidates are left alone.
    """
    replaced: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    out: list[str] = []
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            seen = set()  # each media section lists its candidates (bundled sections repeat them)
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            if len(parts) >= 8 and parts[7] == "host" and _is_ipv4(parts[4]):
                replaced.add(parts[4])
                parts[4] = address
                line = " ".join(parts)
            key = tuple(parts[1:])  # the same transport address with another foundation is a duplicate
            if key in seen:
                continue
            seen.add(key)
        out.append(line)
    for i, line in enumerate(out):
        if line.startswith("c=IN IP4 ") and line[9:] in replaced:
            out[i] = f"c=IN IP4 {address}"
    return "\r\n".join(out)


def _is_ipv4(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address)
    except ValueError:
        return False


def rtc_configuration(servers: list[RTCIceServer]) -> RTCConfiguration:
    """An explicit (possibly empty) server list, so aiortc adds no default STUN server."""
    from aiortc import RTCConfiguration

    return RTCConfiguration(iceServers=list(servers))


@dataclass(frozen=True)
class BrowserIceServer:
    """One entry of ``RTCConfiguration.iceServers`` as a browser takes it."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class BrowserIce:
    servers: list[BrowserIceServer]
    expires_at: int | None  # unix time the TURN credentials stop working; None without TURN


class IceServers:
    """Which ICE servers each peer connection gets: static ones plus freshly minted TURN credentials."""

    def __init__(
        self,
        static: list[RTCIceServer],
        turn_urls: list[str],
        turn_secret: str,
        turn_ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if turn_urls and not turn_secret:
            raise ConfigError(
                "MOKE_MEDIA_TURN_SECRET: MOKE_MEDIA_TURN_URLS needs the shared secret of the TURN server"
            )
        if turn_ttl <= 0:
            raise ConfigError("MOKE_MEDIA_TURN_TTL: must be greater than 0")
        self.static = static
        self.turn_urls = turn_urls
        self.turn_secret = turn_secret
        self.turn_ttl = turn_ttl
        self.clock = clock

    @classmethod
    def from_settings(cls, ice_servers: str, turn_urls: str, turn_secret: str, turn_ttl: int) -> IceServers:
        return cls(parse_ice_servers(ice_servers), parse_turn_urls(turn_urls), turn_secret, turn_ttl)

    def _minted(self, user: str) -> tuple[str, str, int]:
        expires_at = int(self.clock()) + self.turn_ttl
        username, password = turn_rest_credentials(self.turn_secret, user, expires_at)
        return username, password, expires_at

    def for_browser(self, user_id: int) -> BrowserIce:
        """STUN entries and TURN credentials minted for ``user_id``; never a configured TURN password."""
        servers = [
            BrowserIceServer(urls=[str(s.urls)]) for s in self.static if str(s.urls).startswith("stun:")
        ]
        if not self.turn_urls:
            return BrowserIce(servers, None)
        username, password, expires_at = self._minted(str(user_id))
        servers.append(BrowserIceServer(urls=list(self.turn_urls), username=username, credential=password))
        return BrowserIce(servers, expires_at)

    def for_server(self) -> RTCConfiguration:
        """The configuration of one server-side peer connection (aiortc uses the first usable TURN URL)."""
        servers = list(self.static)
        if self.turn_urls:  # first: aiortc takes the first TURN entry it can use
            from aiortc import RTCIceServer

            username, password, _ = self._minted(SERVER_USER)
            servers.insert(0, RTCIceServer(urls=list(self.turn_urls), username=username, credential=password))
        return rtc_configuration(servers)
