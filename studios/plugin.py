"""Wires the `studios` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from server.api import ApiRoutes
from server.context import AppContext
from studios.library import public_routes as library_public_routes
from studios.library import routes as library_routes
from studios.library.api import SEARCH
from studios.library.search import search_index_for


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    app[SEARCH] = search_index_for(ctx.db.url)
    return [library_routes.routes, library_public_routes.routes]
