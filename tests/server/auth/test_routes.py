"""REST authentication (server/auth/routes.py): register, log in, who am I, refused tokens."""

from __future__ import annotations

import time

import jwt

from server.auth.tokens import Principal
from tests.support.api import Api
from tests.support.server import RunningServer


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
