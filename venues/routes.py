"""The controller's REST routes: ``GET /api/rooms/{room_id}/program``, ``GET /api/rooms/{room_id}/handoffs``."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from rooms.api import Action, authorize
from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.http import principal_of
from venues import handoffs
from venues.api import CONTROLLER

routes = ApiRoutes("venues")


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
