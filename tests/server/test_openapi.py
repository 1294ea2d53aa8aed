"""The OpenAPI document (server/openapi.py, served by server/health.py) describes every REST route."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer


async def test_openapi_describes_every_rest_route(api: Api, server: RunningServer) -> None:
    status, doc = await api.call("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for route in server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method in ("HEAD", "*") or not path:
            continue
        if path.startswith(("/socket.io", "/collab/", "/{tail")):  # WebSocket and static, not REST
            continue
        assert (route.method, path) in documented, f"{route.method} {path} is missing from OpenAPI"
