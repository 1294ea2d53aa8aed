"""REST: studio invites (邀请地址 + 邀请码), as a room's: create, list with use counts, revoke, public preview,
redeem. Codes use the rooms' alphabet and per-address guessing limit; redeeming checks the 1 + N + X limits."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from rooms.api import check_invite_attempts, invite_failed, invites, new_id
from server.api import ApiRoutes, json_response, read_json
from server.context import ctx_of
from server.db import now
from server.errors import Conflict, Forbidden, NotFound
from server.http import existing_principal, principal_of
from server.models import User
from studios.access import authorize_studio
from studios.membership import add_member
from studios.models import Studio, StudioInvite
from studios.permissions import StudioAction, StudioRole
from studios.schemas import (
    StudioInviteIn,
    StudioInviteOut,
    StudioInvitePreview,
    StudioRedeemIn,
    StudioRedeemOut,
)
from studios.views import invite_out

routes = ApiRoutes("studios")


@routes.route("GET", "/api/studios/{studio_id}/invites", summary="A studio's invites with their use counts",
              response=StudioInviteOut, response_list=True)  # fmt: skip
async def list_studio_invites(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.INVITE_MANAGE)
    async with ctx.db.session() as session:
        rows = await session.scalars(
            select(StudioInvite)
            .where(StudioInvite.studio_id == studio_id)
            .order_by(StudioInvite.created_at.desc())
        )
        return json_response([invite_out(i, ctx.settings.base_url) for i in rows])


@routes.route("POST", "/api/studios/{studio_id}/invites", summary="Create a studio invite: link + code, role "
              "(only the host invites core members), expiry, uses", body=StudioInviteIn,
              response=StudioInviteOut, status=201)  # fmt: skip
async def add_studio_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    role = await authorize_studio(ctx.db, p, studio_id, StudioAction.INVITE_MANAGE)
    body = await read_json(request, StudioInviteIn)
    if body.role == StudioRole.CORE.value and role != StudioRole.HOST:
        raise Forbidden("only the host invites core members", code="forbidden")
    expires_at = now() + body.expires_in if body.expires_in else None
    invite = await invites.issue(ctx.db, lambda code: StudioInvite(
        id=new_id(), studio_id=studio_id, code=code, role=body.role, expires_at=expires_at,
        max_uses=body.max_uses, uses=0, created_by=p.user_id, created_at=now()))  # fmt: skip
    return json_response(invite_out(invite, ctx.settings.base_url), status=201)


@routes.route("DELETE", "/api/studio-invites/{invite_id}", summary="Revoke a studio invite",
              response=StudioInviteOut)  # fmt: skip
async def revoke_studio_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    invite = await invites.load(ctx.db, StudioInvite, request.match_info["invite_id"])
    await authorize_studio(ctx.db, principal_of(request), invite.studio_id, StudioAction.INVITE_MANAGE)
    row = await invites.revoke(ctx.db, StudioInvite, invite.id)
    return json_response(invite_out(row, ctx.settings.base_url))


@routes.route("GET", "/api/studio-invites/{code}", summary="Public preview of a studio invite for the join "
              "page (rate-limited per address)", response=StudioInvitePreview, auth=False)  # fmt: skip
async def preview_studio_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    await check_invite_attempts(request)
    async with ctx.db.session() as session:
        invite = await invites.find(session, StudioInvite, request.match_info["code"][:32])
        studio = await session.get(Studio, invite.studio_id) if invite is not None else None
        host = await session.get(User, studio.host_id) if studio is not None else None
    if (
        invite is None
        or studio is None
        or studio.archived_at is not None
        or not invites.usable(invite, now())
    ):
        await invite_failed(request)
        raise NotFound(invites.INVALID, code="invite_invalid")
    return json_response(
        StudioInvitePreview(
            studio_id=studio.id,
            name=studio.name,
            subject=studio.subject,
            grade_band=studio.grade_band,
            host_name=host.display_name if host else "",
            role=invite.role,
        )  # fmt: skip
    )


@routes.route("POST", "/api/studio-invites/redeem", summary="Join a studio with an invite code (registered "
              "users; guests join single rooms instead)", body=StudioRedeemIn, response=StudioRedeemOut,
              errors=((Conflict, "studio_full"),))  # fmt: skip
async def redeem_studio_invite(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = await existing_principal(request)
    if p.is_guest or p.room_scope:
        raise Forbidden("guests join single rooms by code, not studios", code="guest_forbidden")
    await check_invite_attempts(request)
    body = await read_json(request, StudioRedeemIn)
    try:
        async with ctx.db.transaction() as session:
            # The use is counted first (a write: SQLite holds its write lock from here), then the limits are
            # checked under the studio's row lock; an error (a full studio) rolls the use back.
            row = await invites.count_use(
                session, StudioInvite, body.code, StudioInvite.studio_id, StudioInvite.role
            )
            studio = await session.get(Studio, row.studio_id) if row is not None else None
            if row is None or studio is None or studio.archived_at is not None:
                raise NotFound(invites.INVALID, code="invite_invalid")
            role = await add_member(session, ctx.settings, studio.id, p.user_id, StudioRole(row.role))
    except NotFound:
        await invite_failed(request)
        raise
    return json_response(StudioRedeemOut(studio_id=studio.id, role=role.value))
