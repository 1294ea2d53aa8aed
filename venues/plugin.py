"""Wires the main-venue controller into the app: store, controller service, events, REST, join state.

Needs ``rooms`` (join state) and ``media`` (the program feed, the media router) set up first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from sqlalchemy import select

from media.api import PROGRAM_MEDIA, ROUTER
from rooms.api import JOIN_STATE, AgendaSegment, Room, Venue
from server.api import ApiRoutes
from server.context import AppContext
from server.db import Database
from venues.api import CONTROLLER
from venues.controller import Directory, Finished, VenueController
from venues.realtime import alert_broadcaster, broadcast_state, install_events
from venues.routes import routes
from venues.store import ProgramStore, RedisProgramStore, SqlProgramStore


def sql_directory(db: Database) -> Directory:
    """Venue ids and agenda order of a room, from the rooms package's tables."""

    async def facts(room_id: str) -> tuple[frozenset[str], tuple[str | None, ...]]:
        async with db.session() as session:
            venues = await session.scalars(select(Venue.id).where(Venue.room_id == room_id))
            venue_ids = frozenset(venues)
            agenda = await session.scalars(
                select(AgendaSegment.venue_id)
                .where(AgendaSegment.room_id == room_id)
                .order_by(AgendaSegment.position)
            )
            return venue_ids, tuple(agenda)

    return facts


def sql_finished(db: Database) -> Finished:
    """True when the room is archived or no longer exists."""

    async def finished(room_id: str) -> bool:
        async with db.session() as session:
            room = await session.get(Room, room_id)
            return room is None or room.archived_at is not None

    return finished


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    settings = ctx.settings
    cluster = ctx.cluster
    client = cluster.redis_client()
    store: ProgramStore = (
        RedisProgramStore(client, ctx.db, prefix=settings.redis_prefix)
        if client is not None
        else SqlProgramStore(ctx.db)
    )
    router = app[ROUTER]
    controller = VenueController(
        store,
        ctx.bus,
        sql_directory(ctx.db),
        app[PROGRAM_MEDIA],
        cluster=cluster,
        homes=router,  # the program feed runs in the room's media home
        db=ctx.db,
        fallback_delay=settings.media_fallback_delay,
        finished=sql_finished(ctx.db),
        idle_after=settings.media_program_idle,
    )
    controller.state_listeners.append(lambda state: broadcast_state(ctx.sio, state))
    controller.alert_listeners.append(alert_broadcaster(ctx.sio))
    app[CONTROLLER] = controller
    install_events(ctx, controller)

    async def program_state(room_id: str) -> dict[str, Any] | None:
        state = await controller.state(room_id)
        return state.public() if state.epoch > 0 else None  # None: never controlled

    app[JOIN_STATE].add("program", program_state)

    async def service(app: web.Application) -> AsyncIterator[None]:
        await controller.start()
        yield
        await controller.stop()
        await store.close()

    app.cleanup_ctx.append(service)
    return [routes]
