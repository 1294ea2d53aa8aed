"""Compact JWS with HMAC-SHA256 (RFC 7515/7519), the one kind of JWT Moke issues and accepts.

PyJWT did this before, but it imports cryptography's asymmetric algorithms at start-up for keys Moke never
uses (8.7 MB of an idle process's memory, issue #18). The rules are PyJWT 2.15's for ``algorithms=["HS256"]``,
an issuer and required ``exp`` and ``sub``: the header must name HS256 (never ``none`` or another algorithm,
whatever the token says), the signature is compared in constant time before the payload is read, ``exp``,
``iat`` and ``nbf`` are integers, ``exp`` in the past or ``iat``/``nbf`` in the future refuse the token, and
an ``aud`` the caller did not ask for refuses it. ``tests/server/auth/test_hs256.py`` checks both ways against
PyJWT itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


class InvalidToken(Exception):
    """Malformed, wrongly signed, or with claims that refuse it."""


class ExpiredToken(InvalidToken):
    """Well signed, but its ``exp`` has passed."""


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("bad base64") from None


def _sign(secret: str, signing_input: bytes) -> bytes:
    return hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()


def encode(claims: dict[str, Any], secret: str) -> str:
    """``claims`` signed with ``secret`` as a compact JWS."""
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = _HEADER + b"." + payload
    return (signing_input + b"." + _b64(_sign(secret, signing_input))).decode()


def decode(
    token: str, secret: str, *, issuer: str, require: tuple[str, ...] = (), now: float | None = None
) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` by ``issuer``; :class:`ExpiredToken` or
    :class:`InvalidToken` otherwise."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken("not ASCII") from None
    parts = raw.split(b".")
    if len(parts) != 3:
        raise InvalidToken("not three segments")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(_unb64(header_b64))
    except ValueError:
        raise InvalidToken("bad header") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("not an HS256 token")
    if not hmac.compare_digest(_sign(secret, header_b64 + b"." + payload_b64), _unb64(signature_b64)):
        raise InvalidToken("bad signature")
    try:
        claims = json.loads(_unb64(payload_b64))
    except ValueError:
        raise InvalidToken("bad payload") from None
    if not isinstance(claims, dict):
        raise InvalidToken("payload is not an object")
    _check_claims(claims, issuer, require, time.time() if now is None else now)
    return claims


def _integer(claims: dict[str, Any], name: str) -> int | None:
    if name not in claims:
        return None
    value = claims[name]
    try:
        return int(value)
    except (ValueError, TypeError, OverflowError):
        raise InvalidToken(f"{name} is not an integer") from None


def _check_claims(claims: dict[str, Any], issuer: str, require: tuple[str, ...], now: float) -> None:
    missing = [name for name in (*require, "iss") if name not in claims]
    if missing:
        raise InvalidToken(f"missing claims {missing}")
    if claims["iss"] != issuer:
        raise InvalidToken("another issuer")
    if "sub" in claims and not isinstance(claims["sub"], str):
        raise InvalidToken("sub is not a string")
    if "jti" in claims and not isinstance(claims["jti"], str):
        raise InvalidToken("jti is not a string")
    if "aud" in claims:
        raise InvalidToken("a token for an audience")
    iat, nbf, exp = _integer(claims, "iat"), _integer(claims, "nbf"), _integer(claims, "exp")
    if (iat is not None and iat > now) or (nbf is not None and nbf > now):
        raise InvalidToken("not yet valid")
    if exp is not None and exp <= now:
        raise ExpiredToken("expired")
