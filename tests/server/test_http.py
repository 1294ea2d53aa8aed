"""HTTP middlewares (server/http.py): JSON errors everywhere, size limits, request ids."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import delete

from server import logs
from server.models import User
from tests.support.api import Api
from tests.support.server import RunningServer, make_settings, running_server


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


async def test_a_request_id_is_generated_and_a_clients_own_is_not_believed(api: Api) -> None:
    async with api.http.get(api.base + "/healthz") as resp:
        generated = resp.headers["X-Request-Id"]
    async with api.http.get(api.base + "/healthz", headers={"X-Request-Id": "abc123"}) as resp:
        assert resp.headers["X-Request-Id"] != "abc123"  # no trusted proxy is configured
    assert len(generated) == 16 and generated != resp.headers["X-Request-Id"]


async def test_a_trusted_proxys_request_id_is_kept_if_well_formed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", trusted_proxies="127.0.0.1")
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        async with http.get(srv.url + "/healthz", headers={"X-Request-Id": "lb-7f3a.2"}) as resp:
            assert resp.headers["X-Request-Id"] == "lb-7f3a.2"
        for forged in ("two words", "x" * 200):  # would break or flood a log line
            async with http.get(srv.url + "/healthz", headers={"X-Request-Id": forged}) as resp:
                assert len(resp.headers["X-Request-Id"]) == 16


async def test_the_access_log_line_has_method_path_status_duration_and_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="moke.access")
    async with api.http.get(api.base + "/api/auth/me?token=eyJsecret.part&x=1") as resp:
        rid = resp.headers["X-Request-Id"]
        assert resp.status == 401
    (record,) = [r for r in caplog.records if r.name == "moke.access"]
    line = record.getMessage()
    assert line.startswith("GET /api/auth/me?token=***&x=1 401 ") and "ms" in line
    fields = record.__dict__
    assert (fields["method"], fields["path"], fields["status"], fields["route"]) == (
        "GET",
        "/api/auth/me",
        401,
        "/api/auth/me",
    )
    assert fields["request_id"] == rid and fields["duration_ms"] >= 0
    assert "eyJsecret" not in line and "eyJsecret" not in str(fields)


async def test_the_access_log_line_is_json_with_its_fields(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="moke.access")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.json_formatter())
    logs.access_log.addHandler(handler)
    try:
        async with api.http.post(
            api.base + "/api/auth/login", json={"username": "nobody", "password": "x" * 8}
        ) as resp:
            rid = resp.headers["X-Request-Id"]
    finally:
        logs.access_log.removeHandler(handler)
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["logger"] == "moke.access" and line["request_id"] == rid
    assert (line["method"], line["path"], line["status"]) == ("POST", "/api/auth/login", resp.status)
    assert isinstance(line["duration_ms"], float) and line["remote"] == "127.0.0.1"


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
