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
    room: Room,
    role: str,
) -> dict[str, Any]:
    async with db.session() as session:
        members = await member_dicts(session, room.id)
        venues = await list_venues(session, room.id)
        agenda = await list_agenda(session, room.id)
    messages, more = await chat.page(db, room.id, before=None, limit=chat.TAIL)
    program_fn = app.get(PROGRAM_STATE)
    floor_state = await floor.state(room.id)
    presence_rev, online = await presence.online(room.id)
    return {
        "room": room_out(room, default_seats, role).model_dump(),
        "me": {
            "user_id": principal.user_id,
            "name": principal.name,
            "role": role,
            "is_guest": principal.is_guest,
            "seat": principal.user_id in floor_state["seats"],
        },
        "members": members,
        "online": online,
        "presence_rev": presence_rev,
        "venues": [v.model_dump() for v in venues],
        "agenda": [s.model_dump() for s in agenda],
        "program": await program_fn(room.id) if program_fn is not None else None,
        "chat": {"messages": [m.model_dump() for m in messages], "more": more},
        "floor": floor_state,
    }
