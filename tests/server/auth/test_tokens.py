"""Bearer tokens (server/auth/tokens.py): claims round-trip, expiry, tampering, room scope (pure)."""

from __future__ import annotations

import time

import jwt
import pytest

from server.auth.tokens import Principal, TokenService
from server.errors import Unauthorized


def test_token_service_round_trip() -> None:
    svc = TokenService("k" * 40, 60)
    p = Principal(7, "周老师", is_guest=True, room_scope="r1")
    assert svc.verify(svc.issue(p)) == p


def test_two_tokens_issued_in_one_second_are_two_sessions() -> None:
    # per-token connection caps count one session; a second login in the same second is another one
    svc = TokenService("k" * 40, 60)
    p = Principal(7, "周老师")
    a, b = svc.issue(p), svc.issue(p)
    assert a != b and svc.verify(a) == svc.verify(b) == p


def test_an_expired_token_is_refused_with_its_own_code() -> None:
    svc = TokenService("k" * 40, 60)
    token = svc.issue(Principal(1, "x"), ttl_seconds=-1)
    with pytest.raises(Unauthorized) as caught:
        svc.verify(token)
    assert caught.value.code == "token_expired"


@pytest.mark.parametrize(
    "which", ["other key", "garbage", "no subject", "bad subject", "other issuer", "missing"]
)
def test_forged_malformed_and_missing_tokens_are_refused(which: str) -> None:
    svc = TokenService("k" * 40, 60)
    now = int(time.time())
    token = {
        "other key": TokenService("o" * 40, 60).issue(Principal(1, "x")),
        "garbage": "not.a.token",
        "no subject": jwt.encode({"iss": "moke", "exp": now + 60}, "k" * 40, algorithm="HS256"),
        "bad subject": jwt.encode(
            {"iss": "moke", "sub": "abc", "exp": now + 60}, "k" * 40, algorithm="HS256"
        ),
        "other issuer": jwt.encode({"iss": "x", "sub": "1", "exp": now + 60}, "k" * 40, algorithm="HS256"),
        "missing": "",
    }[which]
    with pytest.raises(Unauthorized) as caught:
        svc.verify(token)
    assert caught.value.code == ("token_missing" if which == "missing" else "token_invalid")


def test_a_room_scoped_principal_enters_only_its_room() -> None:
    scoped = Principal(3, "guest", is_guest=True, room_scope="r1")
    assert scoped.can_enter("r1") and not scoped.can_enter("r2")
    assert Principal(4, "teacher").can_enter("anything")
    with pytest.raises(ValueError):
        TokenService("", 60)


def test_a_url_token_opens_its_one_path_briefly_and_is_no_session_token() -> None:
    svc = TokenService("k" * 32, 3600)
    p = Principal(7, "李老师", room_scope="r1")
    url = svc.issue_url(p, "/api/voice/abc")
    assert svc.verify_url(url, "/api/voice/abc") == p
    claims = jwt.decode(url, options={"verify_signature": False})
    assert claims["pur"] == "media" and claims["exp"] - claims["iat"] <= 300
    for wrong in ("/api/voice/abd", "/api/recordings/abc/file"):
        with pytest.raises(Unauthorized) as exc:
            svc.verify_url(url, wrong)
        assert exc.value.code == "url_token_scope"
    with pytest.raises(Unauthorized) as exc:
        svc.verify(url)  # not a bearer token for the rest of the API
    assert exc.value.code == "url_token_scope"
    with pytest.raises(Unauthorized) as exc:
        svc.verify_url(svc.issue(p), "/api/voice/abc")  # nor is a session token a URL token
    assert exc.value.code == "url_token_scope"
