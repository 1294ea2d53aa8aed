"""REST: studios (create, list mine, read, update, archive) and their members (list, change role, remove,
leave)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from sqlalchemy import select

from rooms.api import Member, new_id
from server.api import ApiRoutes, Query, json_response, read_json
from server.context import ctx_of
from server.db import now
from server.errors import Conflict, Forbidden, NotFound
from server.http import existing_principal, principal_of
from server.models import User
from studios.access import authorize_studio
from studios.membership import (
    announce_lost,
    announce_new_defaults,
    check_room_for,
    remove_member,
    studio_room_ids,
)
from studios.models import Studio, StudioMember
from studios.permissions import StudioAction, StudioRole
from studios.schemas import StudioIn, StudioMemberOut, StudioMemberPatch, StudioOut, StudioPatch
from studios.views import members_of, studio_out

routes = ApiRoutes("studios")


@routes.route("POST", "/api/studios", summary="Create a studio (名师工作室); its host is the caller unless an "
              "administrator names one", body=StudioIn, response=StudioOut, status=201)  # fmt: skip
async def create_studio(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = await existing_principal(request)
    if p.is_guest or p.room_scope:
        raise Forbidden("guests cannot create studios", code="guest_forbidden")
    body = await read_json(request, StudioIn)
    host_id = body.host_id if body.host_id is not None else p.user_id
    if host_id != p.user_id and not p.is_admin:
        raise Forbidden("only an administrator creates a studio for someone else", code="forbidden")
    t = now()
    async with ctx.db.transaction() as session:
        host = await session.get(User, host_id)
        if host is None or host.is_guest:
            raise NotFound(f"user {host_id} not found", code="user_not_found")
        studio = Studio(
            id=new_id(), name=body.name.strip(), subject=body.subject, grade_band=body.grade_band,
            description=body.description, host_id=host_id, created_by=p.user_id, created_at=t, updated_at=t,
        )  # fmt: skip
        session.add(studio)
        await session.flush()
        session.add(
            StudioMember(studio_id=studio.id, user_id=host_id, role=StudioRole.HOST.value, joined_at=t)
        )
        await session.flush()
        my_role = StudioRole.HOST.value if host_id == p.user_id else None
        out = await studio_out(session, studio, ctx.settings, my_role)
    return json_response(out, status=201)


@routes.route("GET", "/api/studios", summary="My studios (an administrator may list all)", response=StudioOut,
              response_list=True, query={"scope": Query("mine: studios I belong to; all: every studio "
                                                          "(administrators)", Literal["mine", "all"], default="mine")})  # fmt: skip
async def list_studios(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = principal_of(request)
    scope = request.query.get("scope", "mine")
    if scope == "all" and not p.is_admin:
        raise Forbidden("only an administrator lists every studio", code="forbidden")
    async with ctx.db.session() as session:
        if scope == "all":
            rows = (await session.execute(
                select(Studio, StudioMember.role).outerjoin(
                    StudioMember, (StudioMember.studio_id == Studio.id) & (StudioMember.user_id == p.user_id)
                ).order_by(Studio.created_at.desc()).limit(1000)
            )).all()  # fmt: skip
        elif p.room_scope or p.is_guest:
            rows = []
        else:
            rows = (await session.execute(
                select(Studio, StudioMember.role).join(StudioMember, StudioMember.studio_id == Studio.id)
                .where(StudioMember.user_id == p.user_id).order_by(Studio.created_at.desc())
            )).all()  # fmt: skip
        out = [await studio_out(session, s, ctx.settings, role) for s, role in rows]
    return json_response(out)


@routes.route("GET", "/api/studios/{studio_id}", summary="One studio with its member counts and limits",
              response=StudioOut)  # fmt: skip
async def get_studio(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    role = await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.VIEW)
    async with ctx.db.session() as session:
        studio = await session.get(Studio, studio_id)
        assert studio is not None
        return json_response(await studio_out(session, studio, ctx.settings, role.value))


@routes.route("PATCH", "/api/studios/{studio_id}", summary="Change a studio's details", body=StudioPatch,
              response=StudioOut)  # fmt: skip
async def patch_studio(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    role = await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.UPDATE)
    body = await read_json(request, StudioPatch)
    async with ctx.db.transaction() as session:
        studio = await session.get(Studio, studio_id, with_for_update=True)
        assert studio is not None
        for key, value in body.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(studio, key, value.strip() if key == "name" else value)
        studio.updated_at = now()
        await session.flush()
        out = await studio_out(session, studio, ctx.settings, role.value)
    return json_response(out)


@routes.route("POST", "/api/studios/{studio_id}/archive", summary="Archive a studio: its members no longer reach "
              "its rooms by their studio role, its invites stop working (the host or an administrator)",
              response=StudioOut)  # fmt: skip
async def archive_studio(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    role = await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.UPDATE)
    async with ctx.db.transaction() as session:
        studio = await session.get(Studio, studio_id, with_for_update=True)
        assert studio is not None
        if studio.archived_at is None:
            studio.archived_at = studio.updated_at = now()
        await session.flush()
        out = await studio_out(session, studio, ctx.settings, role.value)
        members = list(
            await session.scalars(select(StudioMember.user_id).where(StudioMember.studio_id == studio_id))
        )
        rooms = await studio_room_ids(session, studio_id)
        rows = await session.execute(select(Member.user_id, Member.room_id).where(Member.room_id.in_(rooms)))
        own = {(user_id, room_id) for user_id, room_id in rows}
    for user_id in members:  # live connections that came by the studio role leave those rooms
        await announce_lost(ctx.bus, [r for r in rooms if (user_id, r) not in own], user_id)
    return json_response(out)


@routes.route("GET", "/api/studios/{studio_id}/members", summary="Members: host first, then core members, "
              "then participants", response=StudioMemberOut, response_list=True)  # fmt: skip
async def list_studio_members(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.VIEW)
    async with ctx.db.session() as session:
        return json_response(await members_of(session, studio_id))


def _user_id(request: web.Request) -> int:
    try:
        return int(request.match_info["user_id"])
    except ValueError:
        raise NotFound("no such member", code="member_not_found") from None


@routes.route("PATCH", "/api/studios/{studio_id}/members/{user_id}", summary="Make a member core or "
              "participant (limits apply)", body=StudioMemberPatch, response=StudioMemberOut,
              errors=((Conflict, "studio_full"), (Conflict, "host_role")))  # fmt: skip
async def patch_studio_member(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.MEMBER_MANAGE)
    user_id = _user_id(request)
    body = await read_json(request, StudioMemberPatch)
    new_role = StudioRole(body.role)
    async with ctx.db.transaction() as session:
        member = await session.get(StudioMember, (studio_id, user_id), with_for_update=True)
        if member is None:
            raise NotFound("no such member", code="member_not_found")
        if member.role == StudioRole.HOST.value:
            raise Conflict("the host's role does not change here", code="host_role")
        if member.role != new_role.value:
            member.role = new_role.value
            await session.flush()  # SQLite: take the write lock before counting
            await check_room_for(session, ctx.settings, studio_id, new_role)
        user = await session.get(User, user_id)
        assert user is not None
        out = StudioMemberOut(user_id=user_id, display_name=user.display_name, school=user.school,
                              role=member.role, joined_at=member.joined_at)  # fmt: skip
    async with ctx.db.session() as session:
        await announce_new_defaults(session, ctx.bus, studio_id, user_id, new_role)
    return json_response(out)


async def _remove(request: web.Request, studio_id: str, user_id: int) -> None:
    ctx = ctx_of(request)
    async with ctx.db.transaction() as session:
        member = await session.get(StudioMember, (studio_id, user_id), with_for_update=True)
        if member is None:
            raise NotFound("no such member", code="member_not_found")
        if member.role == StudioRole.HOST.value:
            raise Conflict("the host cannot leave the studio", code="host_role")
        rooms = await remove_member(session, studio_id, user_id)
    await announce_lost(ctx.bus, rooms, user_id)


@routes.route("DELETE", "/api/studios/{studio_id}/members/{user_id}", summary="Remove a member (they lose "
              "their access to the studio's rooms)", status=204, errors=((Conflict, "host_role"),))  # fmt: skip
async def delete_studio_member(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.MEMBER_MANAGE)
    await _remove(request, studio_id, _user_id(request))
    return web.Response(status=204)


@routes.route("POST", "/api/studios/{studio_id}/leave", summary="Leave a studio (and its rooms)", status=204,
              errors=((Conflict, "host_role"),))  # fmt: skip
async def leave_studio(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.VIEW)
    await _remove(request, studio_id, p.user_id)
    return web.Response(status=204)
