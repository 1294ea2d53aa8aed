"""The room state a client receives on ``room:join``, and the hook through which the venues
controller adds the main-venue (program) state to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from rooms import chat
from rooms.floor import FloorService
from rooms.models import Room
from rooms.presence import PresenceService
from rooms.routes import member_dicts
from rooms.views import list_agenda, list_venues, room_out
from server.auth.tokens import Principal
from server.db import Database
from server.errors import NotFound

ProgramState = Callable[[str], Awaitable[dict[str, Any] | None]]
# The venues controller sets ``app[PROGRAM_STATE] = fn`` (fn(room_id) -> venue:state payload or None).
PROGRAM_STATE: web.AppKey[ProgramState] = web.AppKey("moke_rooms_program_state")


async def room_state(
    app: web.Application,
    db: Database,
    presence: PresenceService,
    floor: FloorService,
    default_seats: int,
    principal: Principal,
    room_id: str,
    role: str,
) -> dict[str, Any]:
    """Everything a joining client needs: one database session, one presence reading (a crowd joins at once,
    so each join should cost as few round trips as possible)."""
    async with db.session() as session:
        room = await session.get(Room, room_id)
        if room is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        members = await member_dicts(session, room_id)
        venues = await list_venues(session, room_id)
        agenda = await list_agenda(session, room_id)
        messages, more = await chat.page_in(session, room_id, before=None, limit=chat.TAIL)
    program_fn = app.get(PROGRAM_STATE)
    program = await program_fn(room_id) if program_fn is not None else None
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
        "program": program,
        "chat": {"messages": [m.model_dump() for m in messages], "more": more},
        "floor": floor_state,
    }
