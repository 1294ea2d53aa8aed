"""Wires the main-venue controller into the app: store, controller service, events, REST, join state."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from media.api import PROGRAM_MEDIA
from rooms.controller import Directory, VenueController
from rooms.program_api import CONTROLLER, alert_broadcaster, broadcast_state, install_events, routes
from rooms.program_store import ProgramStore, RedisProgramStore, SqlProgramStore
from server.api import ApiRoutes
from server.context import AppContext
from server.db import Database


def sql_directory(db: Database) -> Directory:
    """Venue ids and agenda order of a room, read from the rooms package's tables."""

    async def facts(room_id: str) -> tuple[frozenset[str], tuple[str | None, ...]]:
        async with db.session() as session:
            venues = (
                await session.execute(text("SELECT id FROM venues WHERE room_id = :r"), {"r": room_id})
            ).scalars()
            venue_ids = frozenset(str(v) for v in venues)
            agenda = (
                await session.execute(
                    text("SELECT venue_id FROM agenda_segments WHERE room_id = :r ORDER BY position"),
                    {"r": room_id},
                )
            ).scalars()
            return venue_ids, tuple(str(a) if a is not None else None for a in agenda)

    return facts


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    settings = ctx.settings
    store: ProgramStore = (
        RedisProgramStore(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else SqlProgramStore(ctx.db)
    )
    controller = VenueController(
        store, ctx.bus, sql_directory(ctx.db), db=ctx.db, fallback_delay=settings.media_fallback_delay
    )
    controller.state_listeners.append(lambda state: broadcast_state(ctx.sio, state))
    controller.alert_listeners.append(alert_broadcaster(ctx.sio))
    app[CONTROLLER] = controller
    install_events(ctx.sio, ctx, app)

    async def service(app: web.Application) -> AsyncIterator[None]:
        await controller.start(app.get(PROGRAM_MEDIA))
        yield
        await controller.stop()
        await store.close()

    app.cleanup_ctx.append(service)
    return [routes]
