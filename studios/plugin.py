"""Wires the `studios` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from rooms.api import register_default_role
from server.api import ApiRoutes
from server.context import AppContext
from studios import activity_routes, cycle_routes, invite_routes, routes
from studios.access import room_default_members, room_default_role, room_default_rooms
from studios.library import public_routes as library_public_routes
from studios.library import routes as library_routes
from studios.library.api import SEARCH
from studios.library.search import search_index_for
from studios.records import plugin as records


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    app[SEARCH] = search_index_for(ctx.db.url)
    # Studio members reach the studio's rooms by their studio role, on every path that asks rooms.
    register_default_role(ctx.db, room_default_role, room_default_members, room_default_rooms)
    return [
        routes.routes,
        invite_routes.routes,
        activity_routes.routes,
        cycle_routes.routes,
        library_routes.routes,
        library_public_routes.routes,
        *records.setup(app, ctx),
    ]
