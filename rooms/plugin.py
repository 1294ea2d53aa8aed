"""Wires the `rooms` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from rooms import invite_routes, routes, venue_routes, voice_routes
from rooms.api import FLOOR, JOIN_STATE, ROOM_EVENTS, SHARED, VOICE_CHECKER
from rooms.floor import FloorService
from rooms.permissions import Role
from rooms.presence import PresenceService
from rooms.realtime import RoomEvents
from rooms.shared import create_shared
from rooms.state import JoinState
from rooms.voice import VoiceChecker
from server.api import ApiRoutes
from server.context import AppContext


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    s = ctx.settings
    shared = create_shared(ctx.cluster, s.redis_prefix)
    presence = PresenceService(ctx.sio, shared, ctx.cluster)
    ctx.realtime.on_resubscribed(presence.resync)
    floor = FloorService(ctx.sio, ctx.db, shared, presence, s.rooms_default_seats)
    parts = JoinState()
    events = RoomEvents(parts, ctx.sio, ctx.db, s, shared, presence, floor, ctx.limits)
    events.install(ctx.realtime)
    app[SHARED] = shared
    app[FLOOR] = floor
    app[JOIN_STATE] = parts
    app[ROOM_EVENTS] = events
    voice = VoiceChecker(s.rooms_voice_workers, s.rooms_voice_queue, s.rooms_voice_check_seconds,
                         s.rooms_voice_max_bytes, s.rooms_voice_max_seconds)  # fmt: skip
    app[VOICE_CHECKER] = voice

    async def on_role(_channel: str, data: bytes) -> None:
        room_id, user_id, role = json.loads(data)
        await events.apply_role(room_id, int(user_id), Role(role) if role else None)

    async def services(app: web.Application) -> AsyncIterator[None]:
        await presence.start()
        sub = await ctx.bus.subscribe(routes.ROLE_CHANNEL, on_role)
        yield
        await sub.close()
        await presence.stop()
        await shared.close()
        voice.close()

    app.cleanup_ctx.append(services)
    return [routes.routes, invite_routes.routes, venue_routes.routes, voice_routes.routes]
