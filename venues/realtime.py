"""The controller's Socket.IO events.

Client → server (each answered through its ack with ``{ok, state}`` or ``{ok: false, error}``):
``venue:cue {room_id, venue_id, epoch}``, ``venue:take {room_id, epoch}``,
``venue:switch {room_id, venue_id, epoch}``, ``venue:next {room_id, epoch}``,
``venue:fallback {room_id, venue_id|null, epoch}``. A stale epoch fails with code ``conflict``.
Server → client: ``venue:state`` to ``room:{room_id}``, ``venue:alert`` to ``room:{room_id}:mod``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import socketio
from pydantic import BaseModel, Field

from rooms.api import Action, authorize, mod_channel, room_channel
from server.context import AppContext
from server.realtime import Reply, principal_of_sid
from venues.controller import VenueController
from venues.state import Command, Kind, ProgramState

_ID = Field(min_length=1, max_length=64)


class _Base(BaseModel):
    room_id: str = _ID
    epoch: int = Field(ge=0)


class VenueCommand(_Base):
    venue_id: str = _ID


class FallbackCommand(_Base):
    venue_id: str | None = Field(default=None, max_length=64)


EVENTS: dict[str, tuple[Kind, type[_Base]]] = {
    "venue:cue": (Kind.CUE, VenueCommand),
    "venue:take": (Kind.TAKE, _Base),
    "venue:switch": (Kind.SWITCH, VenueCommand),
    "venue:next": (Kind.NEXT, _Base),
    "venue:fallback": (Kind.FALLBACK, FallbackCommand),
}


def install_events(ctx: AppContext, controller: VenueController) -> None:
    for event, (kind, model) in EVENTS.items():
        ctx.realtime.event(event, model)(_handler(ctx, controller, kind))


def _handler(
    ctx: AppContext, controller: VenueController, kind: Kind
) -> Callable[[str, _Base], Awaitable[Reply]]:
    async def handle(sid: str, body: _Base) -> Reply:
        principal = await principal_of_sid(ctx.sio, sid)
        await authorize(ctx.db, principal, body.room_id, Action.VENUE_CONTROL)
        cmd = Command(kind, body.epoch, getattr(body, "venue_id", None), actor=principal.user_id)
        state = await controller.command(body.room_id, cmd)
        return {"state": state.public()}

    return handle


async def broadcast_state(sio: socketio.AsyncServer, state: ProgramState) -> None:
    await sio.emit("venue:state", state.public(), room=room_channel(state.room_id))


def alert_broadcaster(
    sio: socketio.AsyncServer,
) -> Callable[[str, str, str | None, str], Awaitable[None]]:
    async def alert(room_id: str, kind: str, venue_id: str | None, message: str) -> None:
        body = {"room_id": room_id, "kind": kind, "venue_id": venue_id, "message": message}
        await sio.emit("venue:alert", body, room=mod_channel(room_id))

    return alert
