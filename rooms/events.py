"""Socket.IO plumbing shared by every rooms event: validation, flood control, acks and error events.

Each client→server event is answered through its ack with ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``; without an ack the failure goes out as an ``error``
event to that one connection. A handler's failure never reaches anyone else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel

from rooms.permissions import Role
from server.api import validate
from server.errors import Forbidden, MokeError, RateLimited, ValidationError, sio_error
from server.socketio_hooks import expects_ack

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Reply = dict[str, Any]

FLOOD_EVENTS = 20  # per connection, per event name, per second
MAX_ROOMS_PER_CONNECTION = 8


class FloodGuard:
    """Per connection and event: at most ``limit`` events per second (connections live in one process).

    Only the venue control events (``rooms/program_api.py``) still use this and :func:`on`; they move to
    ``server.realtime.Realtime.event`` with the controller's move to ``venues/`` (issue 12)."""

    def __init__(self, limit: int = FLOOD_EVENTS) -> None:
        self.limit = limit
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def allow(self, sid: str, event: str) -> bool:
        t = time.monotonic()
        start, n = self._windows.get((sid, event), (t, 0))
        if t - start >= 1.0:
            start, n = t, 0
        self._windows[(sid, event)] = (start, n + 1)
        return n < self.limit

    def forget(self, sid: str) -> None:
        for key in [k for k in self._windows if k[0] == sid]:
            del self._windows[key]


async def reply_error(sio: socketio.AsyncServer, sid: str, exc: MokeError, event: str) -> Reply:
    body = sio_error(exc, event)
    if not expects_ack():
        await sio.emit("error", body, to=sid)
    return body


def on(
    sio: socketio.AsyncServer, guard: FloodGuard, event: str, model: type[M]
) -> Callable[[Callable[[str, M], Awaitable[Reply | None]]], None]:
    """Register ``fn(sid, payload)`` for ``event`` with validation, flood control and error replies."""

    def deco(fn: Callable[[str, M], Awaitable[Reply | None]]) -> None:
        async def handler(sid: str, *args: Any) -> Reply:
            try:
                if not guard.allow(sid, event):
                    raise RateLimited(f"too many {event} events; slow down", code="flood")
                if len(args) != 1:
                    raise ValidationError("expected one JSON object as the payload", code="validation")
                result = await fn(sid, validate(model, args[0]))
                return {"ok": True, **(result or {})}
            except MokeError as exc:
                return await reply_error(sio, sid, exc, event)
            except Exception:
                log.exception("socket.io handler failed event=%s sid=%s", event, sid)
                return await reply_error(sio, sid, MokeError("internal error", code="internal"), event)

        sio.on(event, handler)

    return deco


# ---- which rooms a connection has joined (kept in its Socket.IO session) ------------------------
async def joined_rooms(sio: socketio.AsyncServer, sid: str) -> dict[str, str]:
    session = await sio.get_session(sid)
    rooms = session.get("rooms")
    return dict(rooms) if isinstance(rooms, dict) else {}


async def set_joined(sio: socketio.AsyncServer, sid: str, room_id: str, role: Role | None) -> None:
    async with sio.session(sid) as session:
        rooms = dict(session.get("rooms") or {})
        if role is None:
            rooms.pop(room_id, None)
        else:
            if room_id not in rooms and len(rooms) >= MAX_ROOMS_PER_CONNECTION:
                raise Forbidden("joined too many rooms on one connection", code="too_many_rooms")
            rooms[room_id] = role.value
        session["rooms"] = rooms


async def joined_role(sio: socketio.AsyncServer, sid: str, room_id: str) -> Role:
    """The role ``sid`` joined ``room_id`` with; :class:`Forbidden` when it has not joined."""
    role = (await joined_rooms(sio, sid)).get(room_id)
    if role is None:
        raise Forbidden("join the room first (room:join)", code="not_joined")
    return Role(role)
