from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import jwt

from server.auth.tokens import Principal, TokenService
from tests.support.api import Api
from tests.support.server import RunningServer

ROOT = Path(__file__).resolve().parents[2]


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


def test_token_service_round_trip() -> None:
    svc = TokenService("k" * 40, 60)
    p = Principal(7, "周老师", is_guest=True, room_scope="r1")
    assert svc.verify(svc.issue(p)) == p


async def test_create_admin_subcommand(tmp_path: Path, api: Api) -> None:
    data = tmp_path / "cli"
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", "create-admin", "root", "--password", "s3cret-pass", "--data-dir", str(data)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    from server.auth.passwords import verify_password
    from server.db import Database
    from server.models import User

    async with Database(f"sqlite+aiosqlite:///{data / 'moke.db'}") as db, db.session() as s:
        from sqlalchemy import select

        user = (await s.execute(select(User).where(User.username == "root"))).scalar_one()
    assert user.is_admin and verify_password(user.password_hash, "s3cret-pass")
