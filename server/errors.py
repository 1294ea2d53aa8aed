"""The one exceptions module. Every error carries a stable code and a human message.

``server.http`` maps them to JSON HTTP responses, ``server.realtime`` to Socket.IO ack replies and ``error``
events, and ``collab`` to WebSocket close codes; those three mappings live next to each other below.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar


class MokeError(Exception):
    """Base class: ``code`` is machine-readable, ``message`` is for people, ``details`` is optional data."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    ws_close: ClassVar[int] = 4400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ConfigError(MokeError):
    code = "config"


class BadRequest(MokeError):
    status = 400
    code = "bad_request"
    ws_close = 4400


class ValidationError(BadRequest):
    status = 422
    code = "validation"


class Unauthorized(MokeError):
    status = 401
    code = "unauthorized"
    ws_close = 4401


class Forbidden(MokeError):
    status = 403
    code = "forbidden"
    ws_close = 4403


class NotFound(MokeError):
    status = 404
    code = "not_found"
    ws_close = 4404


class Conflict(MokeError):
    status = 409
    code = "conflict"
    ws_close = 4409


class Gone(MokeError):
    status = 410
    code = "gone"


class TooLarge(MokeError):
    status = 413
    code = "too_large"
    ws_close = 1009


class UnsupportedMediaType(MokeError):
    """415: the body's ``Content-Type`` is not one the route accepts."""

    status = 415
    code = "unsupported_type"
    ws_close = 1003


class RateLimited(MokeError):
    """429; ``retry_after`` (seconds) becomes the HTTP ``Retry-After`` header."""

    status = 429
    code = "rate_limited"
    ws_close = 4429

    def __init__(
        self, message: str, *, code: str | None = None, details: Any = None, retry_after: int = 60
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class StorageFull(MokeError):
    """507: the data directory has no room left; nothing half-written was kept as if complete."""

    status = 507
    code = "disk_full"
    ws_close = 1011


def disk_full(exc: OSError) -> bool:
    """The write failed for want of space (a full disk, or the account's quota), not for another reason."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


class Unavailable(MokeError):
    status = 503
    code = "unavailable"
    ws_close = 1013


def db_unavailable() -> Unavailable:
    """The database could not be reached (``server.db.unreachable``): try again shortly."""
    return Unavailable("the database is not reachable; try again shortly", code="db_unavailable")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON shape of every HTTP error: ``{"error": {"code": ..., "message": ...}}``."""
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}


def sio_error(exc: MokeError, event: str | None = None) -> dict[str, Any]:
    """Payload of the Socket.IO ``error`` event (and of failed acks)."""
    body = exc.to_dict()
    if event is not None:
        body["event"] = event
    return {"ok": False, "error": body}


def ws_close(exc: MokeError) -> tuple[int, bytes]:
    """WebSocket close code and reason (the reason is capped at 123 bytes by RFC 6455)."""
    reason = f"{exc.code}: {exc.message}".encode()[:123]
    return exc.ws_close, reason
