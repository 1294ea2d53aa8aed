"""The built web client (server/static.py): files, index.html for client routes, the not-built hint."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer


async def test_static_client_or_hint_is_served(api: Api, server: RunningServer) -> None:
    async with api.http.get(api.base + "/rooms/abc") as resp:
        assert resp.status in (200, 503)
        assert "text/html" in resp.headers["Content-Type"]


async def test_a_path_no_file_can_have_is_404_not_500(api: Api) -> None:
    for path in ["/index.html%00.js", "/assets/%00", "/%2e%2e%00/x"]:
        async with api.http.get(api.base + path) as resp:
            assert resp.status == 404, path
            assert (await resp.json())["error"]["code"] == "not_found"
