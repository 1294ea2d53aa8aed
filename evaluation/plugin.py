"""Wires the `evaluation` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from evaluation import exports, feedback, realtime, replay, routes
from evaluation.observation import routes as observation
from server.api import ApiRoutes
from server.context import AppContext


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    realtime.install(ctx)
    observation.install(ctx)
    return [routes.routes, exports.routes, feedback.routes, replay.routes, observation.routes]
