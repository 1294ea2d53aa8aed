"""REST: rooms (create, read, update, archive, list mine / upcoming) and their members."""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVarTuple

from aiohttp import web
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.invites import new_id
from rooms.membership import authorize, default_members, default_role, default_rooms
from rooms.models import Member, Room
from rooms.notify import to_room
from rooms.permissions import Action, Role
from rooms.schemas import MemberOut, MemberPatch, RoomIn, RoomOut, RoomPatch
from rooms.views import room_out
from server.api import ApiRoutes, Query, json_response, read_json
from server.auth.tokens import Principal
from server.bus import Bus
from server.context import ctx_of
from server.db import Database, now
from server.errors import Conflict, Forbidden, NotFound, ValidationError
from server.http import existing_principal, principal_of
from server.models import User

Cols = TypeVarTuple("Cols")

routes = ApiRoutes("rooms")
ROLE_CHANNEL = "rooms:role"


def _check_times(starts_at: float | None, ends_at: float | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        raise ValidationError("ends_at: must not be before starts_at", code="validation")


@routes.route("POST", "/api/rooms", summary="Create a room; the creator becomes its host", body=RoomIn,
              response=RoomOut, status=201)  # fmt: skip
async def create_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = await existing_principal(request)
    if p.is_guest:
        raise Forbidden("guests cannot create rooms", code="guest_forbidden")
    body = await read_json(request, RoomIn)
    _check_times(body.starts_at, body.ends_at)
    t = now()
    room = Room(id=new_id(), created_by=p.user_id, created_at=t, updated_at=t, **body.model_dump())
    async with ctx.db.transaction() as session:
        session.add(room)
        await session.flush()
        session.add(Member(room_id=room.id, user_id=p.user_id, role=Role.HOST.value, joined_at=t))
    return json_response(room_out(room, ctx.settings.rooms_default_seats, Role.HOST.value), status=201)


@routes.route("GET", "/api/rooms", summary="My rooms, or my upcoming rooms", response=RoomOut,
              response_list=True,
              query={"scope": Query("mine: every room I belong to, newest first; upcoming: not yet ended, by "
                                    "start time", Literal["mine", "upcoming"], default="mine"),
                     "archived": Query("1 to include archived rooms", Literal["0", "1"], default="0")},
              errors=(ValidationError,))  # fmt: skip
async def list_rooms(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = principal_of(request)
    scope = request.query.get("scope", "mine")
    if scope not in ("mine", "upcoming"):
        raise ValidationError("scope: must be mine or upcoming")
    async with ctx.db.session() as session:
        member_rows = select(Room, Member.role).join(
            Member, (Member.room_id == Room.id) & (Member.user_id == p.user_id)
        )
        rows = [
            (room, role) for room, role in (await session.execute(_listed(member_rows, request, p))).all()
        ]
        if not p.room_scope:  # the rooms of the user's studios, where no Member row says otherwise
            listed = {room.id for room, _ in rows}
            extra = {
                rid: role
                for rid, role in await default_rooms(ctx.db, session, p.user_id)
                if rid not in listed
            }
            if extra:
                more = await session.scalars(_listed(select(Room).where(Room.id.in_(extra)), request, p))
                rows += [(room, extra[room.id].value) for room in more]
    if scope == "upcoming":
        rows.sort(key=lambda r: r[0].starts_at if r[0].starts_at is not None else r[0].created_at)
    else:
        rows.sort(key=lambda r: r[0].created_at, reverse=True)
    return json_response([room_out(r, ctx.settings.rooms_default_seats, role) for r, role in rows[:500]])


def _listed(q: Select[*Cols], request: web.Request, p: Principal) -> Select[*Cols]:
    """``q`` narrowed to what "my rooms" (or "upcoming") lists for ``p``."""
    scope = request.query.get("scope", "mine")
    if p.room_scope:
        q = q.where(Room.id == p.room_scope)
    if request.query.get("archived") != "1" or scope == "upcoming":
        q = q.where(Room.archived_at.is_(None))
    if scope == "upcoming":
        t = now()
        q = q.where(func.coalesce(Room.ends_at, Room.starts_at, t) >= t).order_by(
            func.coalesce(Room.starts_at, Room.created_at)
        )
    else:
        q = q.order_by(Room.created_at.desc())
    return q.limit(500)


async def _room(request: web.Request, action: Action) -> tuple[Room, Role]:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    role = await authorize(ctx.db, principal_of(request), room_id, action)
    async with ctx.db.session() as session:
        room = await session.get(Room, room_id)
    if room is None:
        raise NotFound(f"room {room_id} not found", code="room_not_found")
    return room, role


@routes.route("GET", "/api/rooms/{room_id}", summary="One room", response=RoomOut)
async def get_room(request: web.Request) -> web.Response:
    room, role = await _room(request, Action.ROOM_VIEW)
    return json_response(room_out(room, ctx_of(request).settings.rooms_default_seats, role.value))


@routes.route("PATCH", "/api/rooms/{room_id}", summary="Change a room's details", body=RoomPatch,
              response=RoomOut)  # fmt: skip
async def patch_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    role = await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_UPDATE)
    body = await read_json(request, RoomPatch)
    changes = body.model_dump(exclude_unset=True)
    async with ctx.db.transaction() as session:
        room = await session.get(Room, room_id, with_for_update=True)
        if room is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        if room.archived_at is not None:
            raise Conflict("the room is archived", code="room_archived")
        for key, value in changes.items():
            if value is None and key in ("title", "kind", "subject", "grade", "description"):
                continue
            setattr(room, key, value)
        _check_times(room.starts_at, room.ends_at)
        room.updated_at = now()
    out = room_out(room, ctx.settings.rooms_default_seats, role.value)
    await to_room(ctx.sio, room_id, "room:updated", {"room": out.model_dump(exclude={"my_role"})})
    return json_response(out)


@routes.route("POST", "/api/rooms/{room_id}/archive", summary="Archive a room (read-only afterwards)",
              response=RoomOut)  # fmt: skip
async def archive_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    role = await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_ARCHIVE)
    async with ctx.db.transaction() as session:
        room = await session.get(Room, room_id, with_for_update=True)
        if room is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        if room.archived_at is None:
            room.archived_at = room.updated_at = now()
    out = room_out(room, ctx.settings.rooms_default_seats, role.value)
    await to_room(ctx.sio, room_id, "room:updated", {"room": out.model_dump(exclude={"my_role"})})
    return json_response(out)


@routes.route("GET", "/api/rooms/{room_id}/members", summary="Members and their roles", response=MemberOut,
              response_list=True)  # fmt: skip
async def list_members(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    async with ctx.db.session() as session:
        return json_response(await members_of(session, room_id, ctx.db))


async def member_dicts(
    session: AsyncSession, room_id: str, db: Database | None = None
) -> list[dict[str, Any]]:
    """Members as plain dicts (the MemberOut shape): plain columns, no ORM objects — a join of a
    crowd reads this list once per joiner. With ``db``, also those with a default role there (a studio's
    members, ``by_default``) who have no row of their own."""
    rows = await session.execute(
        select(
            Member.user_id, User.display_name, User.school, Member.role, User.is_guest, Member.venue_id,
            Member.joined_at,
        )
        .join(User, User.id == Member.user_id)
        .where(Member.room_id == room_id)
        .order_by(Member.joined_at)
    )  # fmt: skip
    keys = list(rows.keys())
    out = [dict(zip(keys, r, strict=True)) for r in rows]  # Row._asdict costs more than the query here
    if db is None:
        return out
    mine = {d["user_id"] for d in out}
    others = {
        uid: (role, since)
        for uid, role, since in await default_members(db, session, room_id)
        if uid not in mine
    }
    if others:
        people = await session.execute(
            select(User.id, User.display_name, User.school, User.is_guest).where(User.id.in_(list(others)))
        )
        for uid, name, school, guest in people:
            role, since = others[uid]
            out.append({"user_id": uid, "display_name": name, "school": school, "role": role.value,
                        "is_guest": guest, "venue_id": None, "joined_at": since, "by_default": True})  # fmt: skip
    return out


async def members_of(session: AsyncSession, room_id: str, db: Database | None = None) -> list[MemberOut]:
    return [MemberOut(**d) for d in await member_dicts(session, room_id, db)]


@routes.route("PATCH", "/api/rooms/{room_id}/members/{user_id}", summary="Change a member's role (or give "
              "someone with a default role, such as a studio member, a role of their own here)",
              body=MemberPatch, response=MemberOut)  # fmt: skip
async def patch_member(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.MEMBER_MANAGE)
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        raise NotFound("no such member", code="member_not_found") from None
    body = await read_json(request, MemberPatch)
    async with ctx.db.transaction() as session:
        member = await session.get(Member, (room_id, user_id), with_for_update=True)
        if member is None:
            # Someone with a default role here (a studio member) gets a row: this room's override.
            if await default_role(ctx.db, session, room_id, user_id) is None:
                raise NotFound("no such member", code="member_not_found")
            member = Member(room_id=room_id, user_id=user_id, role=body.role.value, joined_at=now())
            session.add(member)
        if member.role == Role.HOST.value and body.role != Role.HOST:
            hosts = await session.scalar(
                select(func.count()).where(Member.room_id == room_id, Member.role == Role.HOST.value)
            )
            if (hosts or 0) <= 1:
                raise Conflict("a room keeps at least one host", code="last_host")
        member.role = body.role.value
        user = await session.get(User, user_id)
    assert user is not None
    out = MemberOut(
        user_id=user.id, display_name=user.display_name, school=user.school, role=member.role,
        is_guest=user.is_guest, venue_id=member.venue_id, joined_at=member.joined_at,
    )  # fmt: skip
    await to_room(ctx.sio, room_id, "member:updated", {"member": out.model_dump()})
    await announce_role(ctx.bus, room_id, user_id, Role(member.role))
    return json_response(out)


async def announce_role(bus: Bus, room_id: str, user_id: int, role: Role | None) -> None:
    """Tell every process that ``user_id``'s role in ``room_id`` changed (``None``: they lost access), so
    their live connections follow at once (RoomEvents.apply_role; collab reconnects its editors)."""
    await bus.publish(ROLE_CHANNEL, json.dumps([room_id, user_id, role.value if role else None]).encode())
