"""The controller's Socket.IO events and REST routes.

Client → server (each answered through its ack with ``{ok, state}`` or ``{ok: false, error}``):
``venue:cue {room_id, venue_id, epoch}``, ``venue:take {room_id, epoch}``,
``venue:switch {room_id, venue_id, epoch}``, ``venue:next {room_id, epoch}``,
``venue:fallback {room_id, venue_id|null, epoch}``. A stale epoch fails with code ``conflict``.
Server → client: ``venue:state`` to ``room:{room_id}``, ``venue:alert`` to ``room:{room_id}:mod``.
REST: ``GET /api/rooms/{room_id}/program``, ``GET /api/rooms/{room_id}/handoffs``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import socketio
from aiohttp import web
from pydantic import BaseModel, Field

from rooms import handoffs
from rooms.controller import VenueController
from rooms.events import FloodGuard, Reply, on
from rooms.membership import authorize
from rooms.permissions import Action
from rooms.program_state import Command, Kind, ProgramState
from server.api import ApiRoutes, json_response
from server.context import AppContext, ctx_of
from server.http import principal_of
from server.realtime import principal_of_sid

CONTROLLER: web.AppKey[VenueController] = web.AppKey("moke_venue_controller", VenueController)

routes = ApiRoutes("venues")

_ID = Field(min_length=1, max_length=64)


class _Base(BaseModel):
    room_id: str = _ID
    epoch: int = Field(ge=0)


class VenueCommand(_Base):
    venue_id: str = _ID


class FallbackCommand(_Base):
    venue_id: str | None = Field(default=None, max_length=64)


class ProgramOut(BaseModel):
    room_id: str
    program: str | None
    preview: str | None
    fallback: str | None
    agenda_index: int | None
    epoch: int
    slate: bool
    on_air: str
    lost: str | None
    updated_at: float
    live: list[str] = Field(
        description="venues publishing video now, in any process (what take/switch accept)"
    )


EVENTS: dict[str, tuple[Kind, type[_Base]]] = {
    "venue:cue": (Kind.CUE, VenueCommand),
    "venue:take": (Kind.TAKE, _Base),
    "venue:switch": (Kind.SWITCH, VenueCommand),
    "venue:next": (Kind.NEXT, _Base),
    "venue:fallback": (Kind.FALLBACK, FallbackCommand),
}


def install_events(sio: socketio.AsyncServer, ctx: AppContext, app: web.Application) -> None:
    guard = FloodGuard()
    for event, (kind, model) in EVENTS.items():
        on(sio, guard, event, model)(_handler(sio, ctx, app, kind))


def _handler(
    sio: socketio.AsyncServer, ctx: AppContext, app: web.Application, kind: Kind
) -> Callable[[str, _Base], Awaitable[Reply]]:
    async def handle(sid: str, body: _Base) -> Reply:
        principal = await principal_of_sid(sio, sid)
        await authorize(ctx.db, principal, body.room_id, Action.VENUE_CONTROL)
        cmd = Command(kind, body.epoch, getattr(body, "venue_id", None), actor=principal.user_id)
        state = await app[CONTROLLER].command(body.room_id, cmd)
        return {"state": state.public()}

    return handle


async def broadcast_state(sio: socketio.AsyncServer, state: ProgramState) -> None:
    await sio.emit("venue:state", state.public(), room=f"room:{state.room_id}")


def alert_broadcaster(
    sio: socketio.AsyncServer,
) -> Callable[[str, str, str | None, str], Awaitable[None]]:
    async def alert(room_id: str, kind: str, venue_id: str | None, message: str) -> None:
        body = {"room_id": room_id, "kind": kind, "venue_id": venue_id, "message": message}
        await sio.emit("venue:alert", body, room=f"room:{room_id}:mod")

    return alert


@routes.route(
    "GET", "/api/rooms/{room_id}/program", summary="Main-venue (program) state", response=ProgramOut
)
async def get_program(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    controller = request.app[CONTROLLER]
    state = await controller.state(room_id)
    live = sorted(await controller.live(room_id))
    return json_response(ProgramOut(**state.public(), live=live))


@routes.route(
    "GET",
    "/api/rooms/{room_id}/handoffs",
    summary="Hand-offs of the main venue: who, when, from, to, epoch, time to switch on the wire",
    response=handoffs.HandoffOut,
    response_list=True,
)
async def get_handoffs(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    return json_response(list(await handoffs.list_for_room(ctx.db, room_id)))
