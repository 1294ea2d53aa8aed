"""server.errors: every error's code, HTTP status, Socket.IO payload and WebSocket close code (pure)."""

from __future__ import annotations

import pytest

from server.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    MokeError,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
    Unavailable,
    ValidationError,
    error_body,
    sio_error,
    ws_close,
)


@pytest.mark.parametrize(
    ("cls", "status", "code", "close"),
    [
        (BadRequest, 400, "bad_request", 4400),
        (ValidationError, 422, "validation", 4400),
        (Unauthorized, 401, "unauthorized", 4401),
        (Forbidden, 403, "forbidden", 4403),
        (NotFound, 404, "not_found", 4404),
        (Conflict, 409, "conflict", 4409),
        (Gone, 410, "gone", 4400),
        (TooLarge, 413, "too_large", 1009),
        (RateLimited, 429, "rate_limited", 4429),
        (Unavailable, 503, "unavailable", 1013),
    ],
)
def test_each_kind_maps_to_one_status_code_and_close_code(
    cls: type[MokeError], status: int, code: str, close: int
) -> None:
    exc = cls("说明")
    assert (exc.status, exc.code, ws_close(exc)[0]) == (status, code, close)
    assert isinstance(exc, MokeError) and str(exc) == "说明"


def test_a_specific_code_and_details_travel_in_every_mapping() -> None:
    exc = Conflict("another moderator switched first", code="conflict_epoch", details={"epoch": 7})
    assert Conflict.code == "conflict"  # the instance's code does not leak into the class
    body = {"code": "conflict_epoch", "message": "another moderator switched first", "details": {"epoch": 7}}
    assert exc.to_dict() == body
    assert error_body(exc.code, exc.message, exc.details) == {"error": body}
    assert sio_error(exc) == {"ok": False, "error": body}
    assert sio_error(exc, "venue:take") == {"ok": False, "error": {**body, "event": "venue:take"}}
    assert error_body("x", "y") == {"error": {"code": "x", "message": "y"}}


def test_the_close_reason_fits_a_control_frame() -> None:
    code, reason = ws_close(BadRequest("很长的说明" * 40, code="malformed_message"))
    assert code == 4400 and reason.startswith(b"malformed_message: ") and len(reason) <= 123
