"""The invite-code guessing limit (rooms/guard.py): failed codes count per client address, good ones never."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rooms import guard
from tests.support.api import Api
from tests.support.rooms import create_room, invite
from tests.support.server import make_settings, running_server


async def test_guessing_codes_is_rate_limited_per_address(tmp_path: Path, api: Api) -> None:
    async with running_server(make_settings(tmp_path / "g", rooms_invite_attempts=4)) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"]))["id"]
        good = await invite(api, host["token"], rid)
        # successes do not count: a whole school behind one address can join
        for _ in range(6):
            status, _ = await api.call(
                "POST", "/api/auth/guest", json={"code": good["code"], "display_name": "师"}
            )
            assert status == 200
        statuses = []
        for i in range(3):
            statuses.append((await api.call("GET", f"/api/invites/ZZZZZZ{i}2"))[0])
        statuses.append(
            (await api.call("POST", "/api/auth/guest", json={"code": "ZZZZZZZZ", "display_name": "x"}))[0]
        )
        assert statuses == [404, 404, 404, 404]
        status, err = await api.call(
            "POST", "/api/auth/guest", json={"code": good["code"], "display_name": "师"}
        )
        assert status == 429 and err["error"]["code"] == "invite_rate"
        status, _ = await api.call("GET", f"/api/invites/{good['code']}")
        assert status == 429
        user = await api.register()
        status, _ = await api.call(
            "POST", "/api/invites/redeem", token=user["token"], json={"code": good["code"]}
        )
        assert status == 429


async def test_an_address_over_the_limit_may_guess_again_after_the_window(
    tmp_path: Path, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "WINDOW", 1)  # a sliding window of one second
    async with running_server(make_settings(tmp_path / "g", rooms_invite_attempts=2)) as srv:
        api.base = srv.url
        statuses = [(await api.call("GET", f"/api/invites/ZZZZZZ{i}2"))[0] for i in range(3)]
        assert statuses == [404, 404, 429]
        await asyncio.sleep(1.1)  # both misses are a whole window old
        assert (await api.call("GET", "/api/invites/ZZZZZZ92"))[0] == 404
