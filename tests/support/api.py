"""A small REST client for tests, plus helpers that set up users and rooms."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from rooms.models import Member, Room
from rooms.permissions import Role
from server.db import Database, now


class Api:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.http = session
        self.base = base_url

    async def call(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.base + path, json=json, headers=headers, **kw) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.read()

    async def register(self, username: str | None = None, **extra: Any) -> dict[str, Any]:
        """Register a user; returns the token response (``token``, ``user``)."""
        username = username or f"t{uuid.uuid4().hex[:10]}"
        body = {"username": username, "password": "correct horse battery", "display_name": username, **extra}
        status, data = await self.call("POST", "/api/auth/register", json=body)
        assert status == 201, data
        return dict(data)


async def make_room(
    db: Database, host_user_id: int, *, kind: str = "prep", title: str = "《秋天的雨》集体备课"
) -> str:
    """Insert a room with its host directly (for tests of packages below the rooms REST API)."""
    room_id = uuid.uuid4().hex[:16]
    async with db.transaction() as session:
        session.add(
            Room(
                id=room_id,
                title=title,
                kind=kind,
                created_by=host_user_id,
                created_at=now(),
                updated_at=now(),
            )
        )
        await session.flush()
        session.add(Member(room_id=room_id, user_id=host_user_id, role=Role.HOST.value, joined_at=now()))
    return room_id


async def add_member(db: Database, room_id: str, user_id: int, role: Role) -> None:
    async with db.transaction() as session:
        session.add(Member(room_id=room_id, user_id=user_id, role=role.value, joined_at=now()))
