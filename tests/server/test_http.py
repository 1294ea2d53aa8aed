"""HTTP middlewares (server/http.py): JSON errors everywhere, size limits, request ids."""

from __future__ import annotations

from sqlalchemy import delete

from server.models import User
from tests.support.api import Api
from tests.support.server import RunningServer


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


async def test_a_body_nested_too_deep_to_parse_is_a_json_400(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    status, body = await api.call(
        "POST", "/api/auth/login", data=deep, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and body["error"]["code"] == "invalid_json"


async def test_a_signed_token_of_an_account_that_is_gone_is_refused(api: Api, server: RunningServer) -> None:
    # e.g. the database was restored from a backup older than the account
    host = await api.register()
    code = (await api.call("POST", "/api/rooms", token=host["token"], json={"title": "a", "kind": "prep"}))[1]
    status, inv = await api.call(
        "POST", f"/api/rooms/{code['id']}/invites", token=host["token"], json={"role": "observer"}
    )
    assert status == 201, inv
    gone = await api.register()
    async with server.ctx.db.transaction() as session:
        await session.execute(delete(User).where(User.id == gone["user"]["id"]))
    for method, path, body in [
        ("POST", "/api/rooms", {"title": "a", "kind": "prep"}),
        ("POST", "/api/invites/redeem", {"code": inv["code"]}),
        ("GET", "/api/auth/me", None),
    ]:
        status, err = await api.call(method, path, token=gone["token"], json=body)
        assert status == 401 and err["error"]["code"] == "token_invalid", (path, err)


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    for path in ["/", "/healthz", "/api/nope", "/assets/does-not-exist.js"]:
        async with api.http.get(api.base + path) as resp:
            h = resp.headers
            assert h["X-Content-Type-Options"] == "nosniff", path
            assert h["Referrer-Policy"] == "same-origin", path
            assert "frame-ancestors 'self'" in h["Content-Security-Policy"], path
            assert "script-src 'self';" in h["Content-Security-Policy"], path
            assert h["Server"] == "Moke", path  # no aiohttp or Python version


async def test_a_429_says_when_to_retry(api: Api) -> None:
    # invite-code guessing is refused after rooms_invite_attempts misses (rooms/guard.py)
    for _ in range(30):
        async with api.http.get(api.base + "/api/invites/no-such-code") as resp:
            if resp.status == 429:
                assert int(resp.headers["Retry-After"]) > 0
                return
    raise AssertionError("invite guessing was never refused")
