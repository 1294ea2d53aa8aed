"""Wires the `media` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

from aiohttp import web

from media.registry import SOURCES, SourceRegistry
from server.api import ApiRoutes
from server.context import AppContext


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    app[SOURCES] = SourceRegistry(keyframe_interval=ctx.settings.media_keyframe_interval)
    return []
