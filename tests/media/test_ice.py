from __future__ import annotations

import pytest

from media.ice import parse_ice_servers, rtc_configuration
from server.errors import ConfigError


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
