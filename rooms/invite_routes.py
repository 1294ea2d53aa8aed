"""REST: invites (邀请地址 + 邀请码) — create, list with use counts, revoke, public preview, redeem, guest log-in."""

from __future__ import annotations

from functools import partial

from aiohttp import web
from sqlalchemy import select

from rooms import invites
from rooms.guard import check_invite_attempts, invite_failed
from rooms.invites import find_invite, redeem, room_invite
from rooms.membership import authorize
from rooms.models import Invite, Room
from rooms.permissions import Action, Role
from rooms.schemas import GuestIn, InviteIn, InviteOut, InvitePreview, RedeemIn, RedeemOut
from rooms.views import invite_out
from server.api import ApiRoutes, json_response, read_json
from server.auth.routes import TokenOut, principal_for, user_out
from server.context import ctx_of
from server.db import now
from server.errors import Forbidden, NotFound
from server.http import existing_principal, principal_of
from server.models import User

routes = ApiRoutes("rooms")


@routes.route("GET", "/api/rooms/{room_id}/invites", summary="Invites of a room with their use counts",
              response=InviteOut, response_list=True)  # fmt: skip
async def list_invites(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.INVITE_MANAGE)
    async with ctx.db.session() as session:
        rows = await session.scalars(
            select(Invite).where(Invite.room_id == room_id).order_by(Invite.created_at.desc())
        )
        return json_response([invite_out(i, ctx.settings.base_url) for i in rows])


@routes.route("POST", "/api/rooms/{room_id}/invites", summary="Create an invite: link + code, role, expiry, uses",
              body=InviteIn, response=InviteOut, status=201)  # fmt: skip
async def add_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    p = principal_of(request)
    role = await authorize(ctx.db, p, room_id, Action.INVITE_MANAGE)
    body = await read_json(request, InviteIn)
    if body.role in (Role.HOST, Role.MODERATOR) and role != Role.HOST:
        raise Forbidden("only a host may invite hosts or moderators", code="forbidden")
    expires_at = now() + body.expires_in if body.expires_in else None
    invite = await invites.issue(ctx.db, partial(
        room_invite, room_id=room_id, role=body.role, created_by=p.user_id, expires_at=expires_at,
        max_uses=body.max_uses))  # fmt: skip
    return json_response(invite_out(invite, ctx.settings.base_url), status=201)


@routes.route("DELETE", "/api/invites/{invite_id}", summary="Revoke an invite", response=InviteOut)
async def revoke_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    invite = await invites.load(ctx.db, Invite, request.match_info["invite_id"])
    await authorize(ctx.db, principal_of(request), invite.room_id, Action.INVITE_MANAGE)
    row = await invites.revoke(ctx.db, Invite, invite.id)
    return json_response(invite_out(row, ctx.settings.base_url))


@routes.route("GET", "/api/invites/{code}", summary="Public preview of an invite for the join page "
              "(rate-limited per address)", response=InvitePreview, auth=False)  # fmt: skip
async def preview_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    await check_invite_attempts(request)
    async with ctx.db.session() as session:
        invite = await find_invite(session, request.match_info["code"][:32])
        room = await session.get(Room, invite.room_id) if invite is not None else None
    if invite is None or room is None or room.archived_at is not None or not invites.usable(invite, now()):
        await invite_failed(request)
        raise NotFound(invites.INVALID, code="invite_invalid")
    return json_response(
        InvitePreview(
            room_id=room.id, title=room.title, kind=room.kind, starts_at=room.starts_at, role=invite.role
        )  # fmt: skip
    )


@routes.route("POST", "/api/invites/redeem", summary="Join a room with an invite code (registered users)",
              body=RedeemIn, response=RedeemOut)  # fmt: skip
async def redeem_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = await existing_principal(request)
    if p.is_guest:
        raise Forbidden("guests join with POST /api/auth/guest", code="guest_forbidden")
    await check_invite_attempts(request)
    body = await read_json(request, RedeemIn)
    try:
        async with ctx.db.transaction() as session:
            joined = await redeem(session, body.code, p.user_id)
    except NotFound:
        await invite_failed(request)
        raise
    return json_response(RedeemOut(room_id=joined.room_id, role=joined.role.value))


@routes.route("POST", "/api/auth/guest", summary="Join one room as a guest with an invite code",
              body=GuestIn, response=TokenOut, auth=False)  # fmt: skip
async def guest(request: web.Request) -> web.Response:
    """A new guest account that is a member of the invite's room only; its token opens that room alone."""
    ctx = ctx_of(request)
    await check_invite_attempts(request)  # per-address limit on code guessing
    body = await read_json(request, GuestIn)
    try:
        async with ctx.db.transaction() as session:
            user = User(display_name=body.display_name, school=body.school, is_guest=True, created_at=now())
            session.add(user)
            await session.flush()
            joined = await redeem(session, body.code, user.id)
    except NotFound:
        await invite_failed(request)
        raise
    token = ctx.tokens.issue(principal_for(user, room_scope=joined.room_id))
    return json_response(
        TokenOut(
            token=token,
            expires_in=ctx.tokens.ttl,
            user=user_out(user),
            room_id=joined.room_id,
            role=joined.role.value,
        )  # fmt: skip
    )
