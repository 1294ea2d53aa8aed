"""The built web client (server/static.py): files, index.html for client routes, the not-built hint."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer


async def test_static_client_or_hint_is_served(api: Api, server: RunningServer) -> None:
    async with api.http.get(api.base + "/rooms/abc") as resp:
        assert resp.status in (200, 503)
        assert "text/html" in resp.headers["Content-Type"]
