"""Which rooms a Socket.IO connection has joined, and with which role (kept in its Socket.IO session).

Handlers themselves are registered with ``server.realtime.Realtime.event``.
"""

from __future__ import annotations

import socketio

from rooms.permissions import Role
from server.errors import Forbidden

MAX_ROOMS_PER_CONNECTION = 8


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
