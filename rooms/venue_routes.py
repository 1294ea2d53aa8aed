"""REST: venues (会场) and the ordered agenda (run sheet) of a room."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.invites import new_id
from rooms.membership import authorize
from rooms.models import AgendaSegment, Member, Venue
from rooms.notify import to_room
from rooms.permissions import Action
from rooms.schemas import AgendaIn, AgendaOut, VenueIn, VenueOut, VenuePatch
from rooms.views import list_agenda, list_venues, venue_out
from server.api import ApiRoutes, json_response, read_json
from server.context import AppContext, ctx_of
from server.errors import NotFound, ValidationError
from server.http import principal_of

routes = ApiRoutes("rooms")


async def _check_presenter(session: AsyncSession, room_id: str, presenter_id: int | None) -> None:
    if presenter_id is not None and await session.get(Member, (room_id, presenter_id)) is None:
        raise ValidationError("presenter_id: not a member of this room", code="validation")


async def _broadcast_venues(ctx: AppContext, room_id: str) -> None:
    async with ctx.db.session() as session:
        venues = await list_venues(session, room_id)
    await to_room(ctx.sio, room_id, "venues", {"venues": [v.model_dump() for v in venues]})


@routes.route("GET", "/api/rooms/{room_id}/venues", summary="Venues of a room", response=VenueOut,
              response_list=True)  # fmt: skip
async def get_venues(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    async with ctx.db.session() as session:
        return json_response(await list_venues(session, room_id))


@routes.route("POST", "/api/rooms/{room_id}/venues", summary="Add a venue", body=VenueIn, response=VenueOut,
              status=201)  # fmt: skip
async def add_venue(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.VENUE_MANAGE)
    body = await read_json(request, VenueIn)
    async with ctx.db.transaction() as session:
        await _check_presenter(session, room_id, body.presenter_id)
        count = await session.scalar(select(func.count()).where(Venue.room_id == room_id)) or 0
        if count >= 50:
            raise ValidationError("a room has at most 50 venues", code="too_many_venues")
        position = body.position if body.position is not None else count
        venue = Venue(id=new_id(), room_id=room_id, name=body.name, school=body.school,
                      presenter_id=body.presenter_id, position=position)  # fmt: skip
        session.add(venue)
    await _broadcast_venues(ctx, room_id)
    return json_response(venue_out(venue), status=201)


async def _venue_for(request: web.Request, action: Action) -> tuple[AppContext, Venue]:
    ctx = ctx_of(request)
    venue_id = request.match_info["venue_id"]
    async with ctx.db.session() as session:
        venue = await session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(f"venue {venue_id} not found", code="venue_not_found")
    await authorize(ctx.db, principal_of(request), venue.room_id, action)
    return ctx, venue


@routes.route("PATCH", "/api/venues/{venue_id}", summary="Change a venue", body=VenuePatch,
              response=VenueOut)  # fmt: skip
async def patch_venue(request: web.Request) -> web.Response:
    ctx, venue = await _venue_for(request, Action.VENUE_MANAGE)
    body = await read_json(request, VenuePatch)
    changes = body.model_dump(exclude_unset=True)
    async with ctx.db.transaction() as session:
        row = await session.get(Venue, venue.id)
        if row is None:
            raise NotFound(f"venue {venue.id} not found", code="venue_not_found")
        if "presenter_id" in changes:
            await _check_presenter(session, row.room_id, body.presenter_id)
        for key, value in changes.items():
            if value is None and key in ("name", "school", "position"):
                continue
            setattr(row, key, value)
    await _broadcast_venues(ctx, row.room_id)
    return json_response(venue_out(row))


@routes.route("DELETE", "/api/venues/{venue_id}", summary="Remove a venue (agenda lines keep no venue)",
              status=204)  # fmt: skip
async def delete_venue(request: web.Request) -> web.Response:
    ctx, venue = await _venue_for(request, Action.VENUE_MANAGE)
    async with ctx.db.transaction() as session:
        # Explicit, so SQLite without the FK action behaves like PostgreSQL.
        rows = await session.scalars(select(AgendaSegment).where(AgendaSegment.venue_id == venue.id))
        for seg in rows:
            seg.venue_id = None
        await session.execute(delete(Venue).where(Venue.id == venue.id))
    await _broadcast_venues(ctx, venue.room_id)
    return web.Response(status=204)


@routes.route("GET", "/api/rooms/{room_id}/agenda", summary="The ordered agenda", response=AgendaOut)
async def get_agenda(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    async with ctx.db.session() as session:
        return json_response(AgendaOut(room_id=room_id, segments=await list_agenda(session, room_id)))


@routes.route("PUT", "/api/rooms/{room_id}/agenda",
              summary="Replace the agenda with this ordered list (segments that give their id keep it)",
              body=AgendaIn, response=AgendaOut)  # fmt: skip
async def put_agenda(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.AGENDA_MANAGE)
    body = await read_json(request, AgendaIn)
    async with ctx.db.transaction() as session:
        venues = set(await session.scalars(select(Venue.id).where(Venue.room_id == room_id)))
        existing = {
            s.id: s
            for s in await session.scalars(select(AgendaSegment).where(AgendaSegment.room_id == room_id))
        }
        seen: set[str] = set()
        for position, seg in enumerate(body.segments):
            if seg.venue_id is not None and seg.venue_id not in venues:
                raise ValidationError(f"segments.{position}.venue_id: not a venue of this room")
            if seg.id is not None and (seg.id not in existing or seg.id in seen):
                raise ValidationError(f"segments.{position}.id: not a segment of this agenda")
            fields = seg.model_dump(exclude={"id"})
            if seg.id is not None:
                seen.add(seg.id)
                row = existing[seg.id]
                for key, value in fields.items():
                    setattr(row, key, value)
                row.position = position
            else:
                session.add(AgendaSegment(id=new_id(), room_id=room_id, position=position, **fields))
        for seg_id, row in existing.items():
            if seg_id not in seen:
                await session.delete(row)
        await session.flush()
        segments = await list_agenda(session, room_id)
    await to_room(ctx.sio, room_id, "agenda", {"segments": [s.model_dump() for s in segments]})
    return json_response(AgendaOut(room_id=room_id, segments=segments))
