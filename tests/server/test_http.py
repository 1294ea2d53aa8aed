"""HTTP basics: JSON errors everywhere, size limits, health, metrics, OpenAPI, request ids."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer


async def test_healthz(api: Api) -> None:
    status, body = await api.call("GET", "/healthz")
    assert status == 200 and body["status"] == "ok" and body["bus"] == "in-process"


async def test_unknown_api_route_is_json_404(api: Api) -> None:
    status, body = await api.call("GET", "/api/nope")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_wrong_method_is_json_405(api: Api) -> None:
    status, body = await api.call("DELETE", "/api/auth/login")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


async def test_invalid_json_and_oversized_body(api: Api, server: RunningServer) -> None:
    status, body = await api.call(
        "POST", "/api/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 400 and body["error"]["code"] == "invalid_json"
    big = b'{"username": "' + b"x" * (server.ctx.settings.max_request_bytes + 10) + b'"}'
    status, body = await api.call(
        "POST", "/api/auth/login", data=big, headers={"Content-Type": "application/json"}
    )
    assert status == 413 and body["error"]["code"] == "too_large"


async def test_request_id_is_echoed(api: Api) -> None:
    async with api.http.get(api.base + "/healthz", headers={"X-Request-Id": "abc123"}) as resp:
        assert resp.headers["X-Request-Id"] == "abc123"
    async with api.http.get(api.base + "/healthz") as resp:
        assert len(resp.headers["X-Request-Id"]) == 16


async def test_metrics_in_prometheus_format(api: Api) -> None:
    await api.call("GET", "/healthz")
    async with api.http.get(api.base + "/metrics") as resp:
        text = await resp.text()
        assert resp.status == 200 and resp.content_type.startswith("text/plain")
    assert 'moke_http_requests_total{method="GET",route="/healthz",status="200"}' in text


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


async def test_static_client_or_hint_is_served(api: Api, server: RunningServer) -> None:
    async with api.http.get(api.base + "/rooms/abc") as resp:
        assert resp.status in (200, 503)
        assert "text/html" in resp.headers["Content-Type"]
