"""Wires the `collab` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from collab import comment_routes, documents, version_routes
from collab.export import routes as export_routes
from server.api import ApiRoutes
from server.context import AppContext


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    return [documents.routes, version_routes.routes, comment_routes.routes, export_routes.routes]
