"""Signed, expiring bearer tokens (JWT, HS256: `server.auth.hs256`) and the principal they carry."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from server.auth import hs256
from server.errors import Unauthorized

ISSUER = "moke"
URL_PURPOSE = "media"
URL_TTL = 300
"""A URL token opens one media path (a voice note, a recording) for ``URL_TTL`` seconds: what an <audio> or
<video> element, which cannot send a header, puts in ``?t=``. It is nothing else's token."""


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
        return hs256.encode(self._claims(principal, ttl_seconds), self._secret)

    def _claims(self, principal: Principal, ttl_seconds: int | None) -> dict[str, object]:
        issued = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": str(principal.user_id),
            "name": principal.name,
            "iat": issued,
            "exp": issued + (ttl_seconds if ttl_seconds is not None else self.ttl),
            # two logins in one second are two sessions: each has its own connection caps (RFC 7519 jti)
            "jti": secrets.token_urlsafe(9),
        }
        if principal.is_admin:
            claims["adm"] = True
        if principal.is_guest:
            claims["gst"] = True
        if principal.room_scope:
            claims["room"] = principal.room_scope
        return claims

    def issue_url(self, principal: Principal, path: str) -> str:
        """A short-lived token for ``GET path`` only (see ``URL_PURPOSE``)."""
        claims = {**self._claims(principal, URL_TTL), "pur": URL_PURPOSE, "path": path}
        return hs256.encode(claims, self._secret)

    def verify_url(self, token: str, path: str) -> Principal:
        """The principal of a URL token issued for exactly ``path``; 401 ``url_token_scope`` otherwise."""
        principal, claims = self._decode(token)
        if claims.get("pur") != URL_PURPOSE or claims.get("path") != path:
            raise Unauthorized("this URL token is for another resource", code="url_token_scope")
        return principal

    def verify(self, token: str | None) -> Principal:
        """A session token's principal; a URL token is refused here (it opens one path, nothing else)."""
        principal, claims = self._decode(token)
        if "pur" in claims:
            raise Unauthorized("a URL token opens only its own media path", code="url_token_scope")
        return principal

    def _decode(self, token: str | None) -> tuple[Principal, dict[str, object]]:
        if not token:
            raise Unauthorized("missing bearer token", code="token_missing")
        try:
            claims = hs256.decode(token, self._secret, issuer=ISSUER, require=("exp", "sub"))
        except hs256.ExpiredToken:
            raise Unauthorized("token expired; log in again", code="token_expired") from None
        except hs256.InvalidToken:
            raise Unauthorized("invalid token", code="token_invalid") from None
        try:
            principal = Principal(
                user_id=int(claims["sub"]),
                name=str(claims.get("name", "")),
                is_admin=bool(claims.get("adm", False)),
                is_guest=bool(claims.get("gst", False)),
                room_scope=claims.get("room"),
            )
            return principal, claims
        except (TypeError, ValueError):
            raise Unauthorized("invalid token", code="token_invalid") from None
