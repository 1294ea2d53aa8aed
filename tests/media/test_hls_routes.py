"""HLS grants: every member asking in one window gets the same link (one cache entry per segment)."""

from __future__ import annotations

import pytest

from media.hls_routes import check_grant, grant_for
from server.errors import Forbidden, Unauthorized

SECRET = "s" * 32
TTL = 3600


def test_members_asking_in_one_window_share_a_grant_valid_one_to_two_windows() -> None:
    start = 1_800_000_000 // TTL * TTL
    first, expires = grant_for(SECRET, "r1", "program", TTL, now=start + 1)
    same, _ = grant_for(SECRET, "r1", "program", TTL, now=start + TTL - 1)
    assert same == first  # one URL for everyone in the window: a shared cache fetches a segment once
    later, later_expires = grant_for(SECRET, "r1", "program", TTL, now=start + TTL)
    assert later != first and later_expires == expires + TTL  # at most two grants live at a time
    assert TTL <= expires - (start + TTL - 1) and expires - (start + 1) <= 2 * TTL


def test_a_grant_opens_its_own_room_and_source_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    grant, expires = grant_for(SECRET, "r1", "program", TTL)
    check_grant(SECRET, "r1", "program", grant)
    for room, source in (("r2", "program"), ("r1", "venue:a")):
        with pytest.raises(Forbidden):
            check_grant(SECRET, room, source, grant)
    with pytest.raises(Forbidden):
        check_grant("t" * 32, "r1", "program", grant)  # another server's key
    with pytest.raises(Forbidden):
        check_grant(SECRET, "r1", "program", f"{expires + TTL}.{grant.partition('.')[2]}")  # a longer life
    monkeypatch.setattr("media.hls_routes.time.time", lambda: expires + 1)
    with pytest.raises(Unauthorized):
        check_grant(SECRET, "r1", "program", grant)
