"""REST authentication (server/auth/routes.py): register, log in, who am I, refused tokens."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from argon2 import PasswordHasher

from server.auth import passwords
from server.auth.tokens import Principal
from tests.support.api import Api
from tests.support.server import RunningServer, make_settings, running_server


async def test_register_login_and_call_authenticated_route(api: Api) -> None:
    reg = await api.register("wang_laoshi", school="城关一小")
    status, me = await api.call("GET", "/api/auth/me", token=reg["token"])
    assert status == 200 and me["username"] == "wang_laoshi" and me["school"] == "城关一小"
    status, login = await api.call(
        "POST", "/api/auth/login", json={"username": "wang_laoshi", "password": "correct horse battery"}
    )
    assert status == 200 and login["user"]["id"] == reg["user"]["id"]
    status, me = await api.call("GET", "/api/auth/me", token=login["token"])
    assert status == 200


async def test_wrong_password_and_unknown_user_look_the_same(api: Api) -> None:
    await api.register("li_laoshi")
    s1, wrong_pw = await api.call(
        "POST", "/api/auth/login", json={"username": "li_laoshi", "password": "nope nope"}
    )
    s2, no_user = await api.call(
        "POST", "/api/auth/login", json={"username": "nobody_here", "password": "nope nope"}
    )
    assert s1 == s2 == 401
    assert (
        wrong_pw == no_user == {"error": {"code": "bad_credentials", "message": "wrong username or password"}}
    )


async def test_missing_tampered_and_expired_tokens_are_refused(api: Api, server: RunningServer) -> None:
    reg = await api.register()
    status, body = await api.call("GET", "/api/auth/me")
    assert status == 401 and body["error"]["code"] == "token_missing"
    tampered = reg["token"][:-4] + ("AAAA" if not reg["token"].endswith("AAAA") else "BBBB")
    status, body = await api.call("GET", "/api/auth/me", token=tampered)
    assert status == 401 and body["error"]["code"] == "token_invalid"
    forged = jwt.encode(
        {"sub": str(reg["user"]["id"]), "iss": "moke", "exp": time.time() + 60},
        "not-our-key-but-long-enough-for-hs256-0123456789",
    )
    status, body = await api.call("GET", "/api/auth/me", token=forged)
    assert status == 401 and body["error"]["code"] == "token_invalid"
    expired = server.ctx.tokens.issue(Principal(reg["user"]["id"], "x"), ttl_seconds=-1)
    status, body = await api.call("GET", "/api/auth/me", token=expired)
    assert status == 401 and body["error"]["code"] == "token_expired"


async def test_duplicate_username_conflicts(api: Api) -> None:
    await api.register("zhao")
    status, body = await api.call(
        "POST", "/api/auth/register", json={"username": "zhao", "password": "12345678x", "display_name": "赵"}
    )
    assert status == 409 and body["error"]["code"] == "username_taken"


async def test_register_validates_fields(api: Api) -> None:
    status, body = await api.call("POST", "/api/auth/register", json={"username": "a", "password": "short"})
    assert status == 422 and body["error"]["code"] == "validation"
    assert {d["field"] for d in body["error"]["details"]} >= {"username", "password", "display_name"}


class _GatedHasher:
    """Wraps the real Argon2 hasher: records the thread each hash runs on and, while ``gate`` is clear,
    holds it there, so a test can fill the pool without depending on how long a hash takes."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.gate = threading.Event()
        self.gate.set()
        self.threads: list[str] = []

    def hash(self, password: str) -> str:
        self.threads.append(threading.current_thread().name)
        self.gate.wait(30)
        return self.real.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        self.threads.append(threading.current_thread().name)
        self.gate.wait(30)
        return self.real.verify(stored, password)


async def test_password_hashes_run_off_the_loop_and_a_storm_beyond_the_pool_gets_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = _GatedHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    settings = make_settings(tmp_path / "var", auth_hash_workers=1, auth_hash_queue=1, auth_attempts=1000)
    async with running_server(settings) as server, aiohttp.ClientSession() as session:
        api = Api(session, server.url)
        await api.register("storm_user")
        assert hasher.threads and all(t.startswith(passwords.THREAD_PREFIX) for t in hasher.threads)
        assert threading.current_thread().name not in hasher.threads

        hasher.gate.clear()
        creds = {"username": "storm_user", "password": "correct horse battery"}
        pending = {asyncio.ensure_future(api.call("POST", "/api/auth/login", json=creds)) for _ in range(8)}
        refused: list[tuple[int, Any]] = []
        while len(refused) < 6:  # one hashing, one waiting for the thread: the other six are turned away
            done, pending = await asyncio.wait(pending, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            assert done, "no answer while the pool is full"
            refused.extend(t.result() for t in done)
        assert all(s == 429 and b["error"]["code"] == "auth_busy" for s, b in refused), refused
        async with session.post(server.url + "/api/auth/login", json=creds) as resp:
            assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
        status, _ = await api.call("GET", "/healthz")  # the loop still answers while hashes are held
        assert status == 200

        hasher.gate.set()
        admitted = [await t for t in pending]
        assert [s for s, _ in admitted] == [200, 200]
        status, _ = await api.call("POST", "/api/auth/login", json=creds)
        assert status == 200


async def test_failed_logins_and_registrations_are_throttled_per_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", auth_attempts=3)
    async with running_server(settings) as server, aiohttp.ClientSession() as session:
        api = Api(session, server.url)
        await api.register("throttled")  # one of three
        ok = {"username": "throttled", "password": "correct horse battery"}
        status, _ = await api.call("POST", "/api/auth/login", json=ok)
        assert status == 200  # a good log-in does not count
        for _ in range(2):
            status, _ = await api.call("POST", "/api/auth/login", json={**ok, "password": "wrong guess"})
            assert status == 401
        async with session.post(server.url + "/api/auth/login", json=ok) as resp:
            body = await resp.json()
            assert resp.status == 429 and body["error"]["code"] == "auth_rate"
            assert int(resp.headers["Retry-After"]) >= 1
        status, body = await api.call(
            "POST", "/api/auth/register",
            json={"username": "another_one", "password": "correct horse battery", "display_name": "x"},
        )  # fmt: skip
        assert status == 429 and body["error"]["code"] == "auth_rate"
        status, _ = await api.call("GET", "/healthz")
        assert status == 200
