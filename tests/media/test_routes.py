"""Media REST routes: the per-client ICE servers route (TURN credentials minted for the caller)."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from media.ice import turn_rest_credentials
from tests.support.api import Api
from tests.support.server import make_settings, running_server

SECRET = "district-turn-secret"
URLS = "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443?transport=tcp"


async def test_ice_route_mints_turn_credentials_for_the_caller_only(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "var",
        media_ice_servers="stun:stun.example.org:3478, turn:ops:long-lived@turn.example.org:3478",
        media_turn_urls=URLS,
        media_turn_secret=SECRET,
        media_turn_ttl=900,
    )
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        api = Api(http, srv.url)
        status, _ = await api.call("GET", "/api/media/ice")
        assert status == 401  # credentials only for signed-in people
        alice = await api.register()
        before = int(time.time())
        async with http.get(
            srv.url + "/api/media/ice", headers={"Authorization": f"Bearer {alice['token']}"}
        ) as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
            body = await r.json()
        assert before + 900 <= body["expires_at"] <= int(time.time()) + 900
        stun, turn = body["ice_servers"]
        assert stun == {"urls": ["stun:stun.example.org:3478"], "username": None, "credential": None}
        assert turn["urls"] == [u.strip() for u in URLS.split(",")]
        assert (turn["username"], turn["credential"]) == turn_rest_credentials(
            SECRET, str(alice["user"]["id"]), body["expires_at"]
        )
        assert "long-lived" not in str(body) and body["https_url"] is None


async def test_ice_route_without_turn_and_https_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", public_url="https://moke.example.edu.cn/")
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        api = Api(http, srv.url)
        bob = await api.register()
        status, body = await api.call("GET", "/api/media/ice", token=bob["token"])
        assert status == 200
        assert body == {"ice_servers": [], "expires_at": None, "https_url": "https://moke.example.edu.cn"}
