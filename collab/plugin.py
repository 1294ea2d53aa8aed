"""Wires the `collab` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from collab import comment_routes, documents, version_routes
from collab.api import CONNECTIONS, DELETED_CHANNEL, LIVE_DOCS, RESTORE_LOCKS, SESSIONS
from collab.export import routes as export_routes
from collab.manager import SessionManager
from collab.server import close_all, close_deleted, close_for_role, collab_ws
from collab.store import DocStore
from collab.versions import RestoreLocks
from rooms.api import ROLE_CHANNEL
from server.api import ApiRoutes
from server.context import AppContext
from server.ratelimit import ConnectionCaps


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables."""
    manager = SessionManager(ctx.settings, DocStore(ctx.db), ctx.bus, ctx.cluster)
    app[SESSIONS] = manager
    app[LIVE_DOCS] = manager
    app[RESTORE_LOCKS] = RestoreLocks()
    app[CONNECTIONS] = ConnectionCaps("collab", ctx.settings.conn_per_user, ctx.settings.conn_per_token)

    async def on_role(_channel: str, data: bytes) -> None:
        room_id, user_id, _role = json.loads(data)
        close_for_role(manager, room_id, int(user_id))

    async def on_deleted(_channel: str, data: bytes) -> None:
        close_deleted(manager, data.decode())

    async def live_documents(app: web.Application) -> AsyncIterator[None]:
        await manager.start()
        roles = await ctx.bus.subscribe(ROLE_CHANNEL, on_role)  # every process: its own connections
        deleted = await ctx.bus.subscribe(DELETED_CHANNEL, on_deleted)
        yield
        await deleted.close()
        await roles.close()
        await manager.stop()

    async def close_connections(app: web.Application) -> None:
        close_all(manager)

    app.cleanup_ctx.append(live_documents)
    app.on_shutdown.append(close_connections)  # before the HTTP server waits for open requests
    app.router.add_get("/collab/{doc_id}", collab_ws, name="collab_ws")
    return [documents.routes, version_routes.routes, comment_routes.routes, export_routes.routes]
