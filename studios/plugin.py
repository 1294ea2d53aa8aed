"""Wires the `studios` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from server.api import ApiRoutes
from server.context import AppContext
from studios.records import plugin as records


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    return [*records.setup(app, ctx)]
