"""Helpers for the records tests: waiting for an attendance line over REST, making an administrator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from server.db import Database
from server.models import User
from tests.support.api import Api


async def wait_attendance(
    api: Api, token: str, room_id: str, pred: Callable[[dict[str, Any]], bool], timeout: float = 30
) -> dict[str, Any]:
    """Poll ``GET /api/rooms/{room_id}/attendance`` until ``pred`` holds for the answer (or fail)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        status, last = await api.call("GET", f"/api/rooms/{room_id}/attendance", token=token)
        if status == 200 and pred(last):
            return dict(last)
        await asyncio.sleep(0.2)
    raise AssertionError(f"attendance never matched within {timeout}s; last: {last}")


def person(report: dict[str, Any], user_id: int) -> dict[str, Any] | None:
    return next((p for p in report["people"] if p["user_id"] == user_id), None)


async def make_admin(api: Api, db: Database) -> dict[str, Any]:
    """Register a user, mark them administrator in the database, log in again (the token carries it)."""
    user = await api.register()
    async with db.transaction() as s:
        await s.execute(update(User).where(User.id == user["user"]["id"]).values(is_admin=True))
    status, body = await api.call(
        "POST", "/api/auth/login",
        json={"username": user["user"]["username"], "password": "correct horse battery"},
    )  # fmt: skip
    assert status == 200 and body["user"]["is_admin"], body
    return dict(body)
