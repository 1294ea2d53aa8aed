"""ICE configuration from ``MOKE_MEDIA_ICE_SERVERS`` (pure parsing, no I/O).

``stun:host:port`` or ``turn:user:pass@host:port[?transport=tcp]`` (also ``turns:``), comma-separated.
None by default: aiortc would otherwise try a public STUN server, which costs seconds offline.
"""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCIceServer

from server.errors import ConfigError


def parse_ice_servers(value: str) -> list[RTCIceServer]:
    """Parse the setting; raises :class:`ConfigError` naming the bad entry."""
    servers: list[RTCIceServer] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
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


def rtc_configuration(servers: list[RTCIceServer]) -> RTCConfiguration:
    """An explicit (possibly empty) server list, so aiortc adds no default STUN server."""
    return RTCConfiguration(iceServers=list(servers))
