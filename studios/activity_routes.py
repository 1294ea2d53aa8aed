"""REST: a studio's rooms (活动): create one, list upcoming / past, change the room roles its members get,
attach an existing room, detach one."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from sqlalchemy import select

from rooms.api import Action, Member, Role, Room, announce_role, authorize
from server.api import ApiRoutes, Query, json_response, read_json
from server.context import ctx_of
from server.db import now
from server.errors import Conflict, NotFound, ValidationError
from server.http import principal_of
from studios.access import authorize_studio, studio_role
from studios.activities import activities, activity_out, create_room, my_room_role, roles_of
from studios.models import StudioMember, StudioRoom
from studios.permissions import StudioAction
from studios.schemas import ActivityIn, ActivityOut, ActivityRoles

routes = ApiRoutes("studios")


def _check_times(starts_at: float | None, ends_at: float | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise ValidationError("ends_at: must not be before starts_at", code="validation")


@routes.route("POST", "/api/studios/{studio_id}/rooms", summary="Create a room (activity) in the studio: its "
              "members reach it by their studio role", body=ActivityIn, response=ActivityOut, status=201)  # fmt: skip
async def add_studio_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.ACTIVITY_MANAGE)
    body = await read_json(request, ActivityIn)
    _check_times(body.room.starts_at, body.room.ends_at)
    async with ctx.db.transaction() as session:
        room, link = await create_room(session, studio_id=studio_id, body=body.room, roles=body.roles,
                                       user_id=p.user_id)  # fmt: skip
    return json_response(activity_out(room, link, ctx.settings.rooms_default_seats, "host"), status=201)


@routes.route("GET", "/api/studios/{studio_id}/rooms", summary="The studio's rooms: upcoming (not yet ended, "
              "by start) or past, with my role in each", response=ActivityOut, response_list=True,
              query={"scope": Query("upcoming, past or all", Literal["upcoming", "past", "all"],
                                    default="upcoming")})  # fmt: skip
async def list_studio_rooms(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.VIEW)
    scope = request.query.get("scope", "upcoming")
    if scope not in ("upcoming", "past", "all"):
        raise ValidationError("scope: must be upcoming, past or all")
    mine = await studio_role(ctx.db, p, studio_id)
    async with ctx.db.session() as session:
        rows = await activities(session, studio_id, p.user_id, scope)
    seats = ctx.settings.rooms_default_seats
    return json_response(
        [activity_out(r, link, seats, my_room_role(link, role, mine)) for r, link, role in rows]
    )


async def _announce_defaults(
    request: web.Request, room_id: str, studio_id: str, link: StudioRoom | None
) -> None:
    """Members without a room role of their own follow the room's new defaults (``link`` None: detached)."""
    ctx = ctx_of(request)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(StudioMember.user_id, StudioMember.role)
            .outerjoin(Member, (Member.room_id == room_id) & (Member.user_id == StudioMember.user_id))
            .where(StudioMember.studio_id == studio_id, Member.role.is_(None))
        )).all()  # fmt: skip
    for user_id, role in rows:
        new = Role(roles_of(link)[role]) if link is not None else None
        await announce_role(ctx.bus, room_id, user_id, new)


@routes.route("PUT", "/api/studios/{studio_id}/rooms/{room_id}", summary="Attach a room to the studio, or "
              "change the room role each studio role gets there (needs member.manage in the room)",
              body=ActivityRoles, response=ActivityOut,
              errors=((Conflict, "other_studio"),))  # fmt: skip
async def put_studio_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    room_id = request.match_info["room_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.ACTIVITY_MANAGE)
    role = await authorize(ctx.db, p, room_id, Action.MEMBER_MANAGE)
    body = await read_json(request, ActivityRoles)
    async with ctx.db.transaction() as session:
        room = await session.get(Room, room_id)
        assert room is not None
        link = await session.get(StudioRoom, room_id, with_for_update=True)
        if link is not None and link.studio_id != studio_id:
            raise Conflict("the room belongs to another studio", code="other_studio")
        if link is None:
            link = StudioRoom(
                room_id=room_id, studio_id=studio_id, added_by=p.user_id, added_at=now(), stage=""
            )
            session.add(link)
        link.host_role = body.roles.host.value
        link.core_role = body.roles.core.value
        link.participant_role = body.roles.participant.value
        await session.flush()
    await _announce_defaults(request, room_id, studio_id, link)
    return json_response(activity_out(room, link, ctx.settings.rooms_default_seats, role.value))


@routes.route("DELETE", "/api/studios/{studio_id}/rooms/{room_id}", summary="Detach a room from the studio "
              "(its members keep only their own room roles)", status=204)  # fmt: skip
async def detach_studio_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    room_id = request.match_info["room_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.ACTIVITY_MANAGE)
    await authorize(ctx.db, p, room_id, Action.MEMBER_MANAGE)
    async with ctx.db.transaction() as session:
        link = await session.get(StudioRoom, room_id)
        if link is None or link.studio_id != studio_id:
            raise NotFound("the room is not in this studio", code="room_not_in_studio")
        if link.cycle_id is not None:
            raise Conflict("the room is a step of a cycle", code="cycle_step")
        await session.delete(link)
    await _announce_defaults(request, room_id, studio_id, None)
    return web.Response(status=204)
