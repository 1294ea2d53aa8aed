"""Wires the records into the application: the recorder hears presence and the floor; REST routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from rooms.api import FLOOR, ROOM_EVENTS
from server.api import ApiRoutes
from server.context import AppContext
from studios.api import RECORDER
from studios.records import routes
from studios.records.recorder import Recorder


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    recorder = Recorder(ctx.db, ctx.cluster, ctx.settings.records_merge_gap)
    app[ROOM_EVENTS].presence.on_entry(recorder.on_entry)
    app[FLOOR].on_seats(recorder.on_seats)
    app[RECORDER] = recorder

    async def service(app: web.Application) -> AsyncIterator[None]:
        await recorder.start()
        yield
        await recorder.stop()

    app.cleanup_ctx.append(service)
    return [routes.routes]
