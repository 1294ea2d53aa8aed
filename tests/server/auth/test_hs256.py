"""server.auth.hs256 against PyJWT: the same tokens pass and the same tokens are refused, for the same reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest

from server.auth import hs256

SECRET = "k" * 40


def now() -> int:
    """This moment (a module constant would be long past when the suite reaches these tests)."""
    return int(time.time())


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "moke",
        "sub": "7",
        "name": "胡老师",
        "iat": now(),
        "exp": now() + 60,
        "jti": "a1",
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def pyjwt_decode(token: str) -> dict[str, Any]:
    return jwt.decode(token, SECRET, algorithms=["HS256"], issuer="moke", options={"require": ["exp", "sub"]})


def ours(token: str) -> dict[str, Any]:
    return hs256.decode(token, SECRET, issuer="moke", require=("exp", "sub"))


def test_what_one_signs_the_other_reads() -> None:
    c = claims(room="r1", adm=True)
    assert hs256.encode(c, SECRET) == jwt.encode(c, SECRET, algorithm="HS256")  # byte for byte
    assert pyjwt_decode(hs256.encode(c, SECRET)) == c
    assert ours(jwt.encode(c, SECRET, algorithm="HS256")) == c


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged_header(header: dict[str, Any]) -> str:
    token = hs256.encode(claims(), SECRET)
    return ".".join([_b64(header), *token.split(".")[1:]])


def _tampered() -> str:
    head, _, sig = hs256.encode(claims(), SECRET).split(".")
    return ".".join([head, _b64(claims(sub="1")), sig])


REFUSED = {
    "alg none": lambda: _forged_header({"alg": "none", "typ": "JWT"}),
    "another algorithm": lambda: jwt.encode(claims(), SECRET, algorithm="HS512"),
    "another secret": lambda: hs256.encode(claims(), "x" * 40),
    "tampered payload": _tampered,
    "expired": lambda: hs256.encode(claims(exp=now() - 1), SECRET),
    "issued in the future": lambda: hs256.encode(claims(iat=now() + 3600), SECRET),
    "not before the future": lambda: hs256.encode(claims(nbf=now() + 3600), SECRET),
    "exp not an integer": lambda: hs256.encode(claims(exp="soon"), SECRET),
    "an audience": lambda: hs256.encode(claims(aud="other"), SECRET),
    "another issuer": lambda: hs256.encode(claims(iss="x"), SECRET),
    "no issuer": lambda: hs256.encode(claims(iss=None), SECRET),
    "no subject": lambda: hs256.encode(claims(sub=None), SECRET),
    "no expiry": lambda: hs256.encode(claims(exp=None), SECRET),
    "subject not a string": lambda: hs256.encode(claims(sub=7), SECRET),
    "two segments": lambda: ".".join(hs256.encode(claims(), SECRET).split(".")[:2]),
    "bad base64": lambda: hs256.encode(claims(), SECRET)[:-2] + "!!",
    "not ASCII": lambda: hs256.encode(claims(), SECRET) + "é",
    "payload not an object": lambda: _signed(_b64({"alg": "HS256", "typ": "JWT"}), "WzFd"),  # [1]
}


def _signed(header: str, payload: str) -> str:
    signature = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


@pytest.mark.parametrize("case", REFUSED)
def test_a_token_pyjwt_refuses_is_refused_and_only_expiry_says_expired(case: str) -> None:
    token = REFUSED[case]()
    with pytest.raises(jwt.PyJWTError) as theirs:
        pyjwt_decode(token)
    with pytest.raises(hs256.InvalidToken) as mine:
        ours(token)
    assert isinstance(mine.value, hs256.ExpiredToken) == isinstance(theirs.value, jwt.ExpiredSignatureError)
