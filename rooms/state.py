"""The room state a client receives on ``room:join``, and the parts other packages add to it.

``rooms`` knows nothing of what those parts mean: a package that wants its own state in the join
answer (the venues controller adds ``program``) registers a :data:`JoinPart` under a name in
:class:`JoinState`, which ``rooms`` creates in its ``setup`` and publishes as ``rooms.api.JOIN_STATE``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rooms import chat
from rooms.floor import FloorService
from rooms.models import Room
from rooms.presence import PresenceService
from rooms.routes import member_dicts
from rooms.views import list_agenda, list_venues, room_out
from server.auth.tokens import Principal
from server.db import Database
from server.errors import NotFound

JoinPart = Callable[[str], Awaitable[Any]]  # (room_id) -> a JSON value for the join answer

# The names the rooms package fills itself; a part may not take one of them.
_OWN = frozenset({"room", "me", "members", "online", "presence_rev", "venues", "agenda", "chat", "floor"})


class JoinState:
    """The parts other packages add to the ``room:join`` answer, by name."""

    def __init__(self) -> None:
        self._parts: dict[str, JoinPart] = {}

    def add(self, name: str, part: JoinPart) -> None:
        if name in _OWN or name in self._parts:
            raise ValueError(f"the join state already has a part named {name!r}")
        self._parts[name] = part

    async def read(self, room_id: str) -> dict[str, Any]:
        return {name: await part(room_id) for name, part in self._parts.items()}


async def room_state(
    parts: JoinState,
    session: AsyncSession,
    db: Database,
    presence: PresenceService,
    floor: FloorService,
    default_seats: int,
    principal: Principal,
    room_id: str,
    role: str,
) -> dict[str, Any]:
    """Everything a joining client needs, read in the join's one database session (``session``; its
    connection is released by the caller) and one presence reading: a crowd joins at once, and in a crowd
    every round trip of a join waits behind everything else the process has to do."""
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound(f"room {room_id} not found", code="room_not_found")
    members = await member_dicts(session, room_id, db)
    venues = await list_venues(session, room_id)
    agenda = await list_agenda(session, room_id)
    messages, more = await chat.page_in(session, room_id, before=None, limit=chat.TAIL)
    await session.close()  # the connection goes back to the pool before the parts and presence are read
    added = await parts.read(room_id)
    snap, online = await presence.online(room_id)
    floor_state = {
        "room_id": room_id,
        "seats": snap.seats,
        "hands": snap.hands,
        "limit": floor.limit_of(room),
    }
    return {
        "room": room_out(room, default_seats, role).model_dump(),
        "me": {
            "user_id": principal.user_id,
            "name": principal.name,
            "role": role,
            "is_guest": principal.is_guest,
            "seat": principal.user_id in snap.seats,
        },
        "members": members,
        "online": online,
        "presence_rev": snap.rev,
        "venues": [v.model_dump() for v in venues],
        "agenda": [s.model_dump() for s in agenda],
        **added,
        "chat": {
            "messages": [m.model_dump() for m in messages],
            "more": more,
            "mode": chat.mode_of(room).as_dict(),
        },
        "floor": floor_state,
    }
