"""Signed, expiring bearer tokens (JWT, HS256) and the principal they carry."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from server.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "moke"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``room_scope`` set means the token opens that one room and nothing else."""

    user_id: int
    name: str
    is_admin: bool = False
    is_guest: bool = False
    room_scope: str | None = None

    def can_enter(self, room_id: str) -> bool:
        return self.room_scope is None or self.room_scope == room_id


class TokenService:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if not secret:
            raise ValueError("token secret must not be empty")
        self._secret = secret
        self.ttl = ttl_seconds

    def issue(self, principal: Principal, *, ttl_seconds: int | None = None) -> str:
        issued = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": str(principal.user_id),
            "name": principal.name,
            "iat": issued,
            "exp": issued + (ttl_seconds if ttl_seconds is not None else self.ttl),
        }
        if principal.is_admin:
            claims["adm"] = True
        if principal.is_guest:
            claims["gst"] = True
        if principal.room_scope:
            claims["room"] = principal.room_scope
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("missing bearer token", code="token_missing")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired; log in again", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token", code="token_invalid") from None
        try:
            return Principal(
                user_id=int(claims["sub"]),
                name=str(claims.get("name", "")),
                is_admin=bool(claims.get("adm", False)),
                is_guest=bool(claims.get("gst", False)),
                room_scope=claims.get("room"),
            )
        except (TypeError, ValueError):
            raise Unauthorized("invalid token", code="token_invalid") from None
