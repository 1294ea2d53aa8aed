"""Builds the aiohttp application: context, middlewares, Socket.IO, every package's plugin, static web."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry

import collab.plugin
import evaluation.plugin
import media.plugin
import rooms.plugin
import studios.plugin
import venues.plugin
from server import health, process_metrics
from server.api import ApiRoutes
from server.auth import routes as auth_routes
from server.auth.passwords import PASSWORDS, PasswordPool
from server.auth.tokens import TokenService
from server.bus import create_bus
from server.clock import Clock
from server.cluster import create_cluster
from server.config import Settings
from server.context import CTX, AppContext
from server.db import Database
from server.http import HTTP_METRICS, HttpMetrics, request_middleware
from server.openapi import build_openapi
from server.proxies import parse_trusted, trusted_proxy_middleware
from server.ratelimit import ConnectionCaps, create_limits
from server.realtime import FloodGuard, Realtime, create_sio
from server.socketio_hooks import close_all
from server.static import install_static

log = logging.getLogger(__name__)

PLUGINS = (
    rooms.plugin.setup,
    collab.plugin.setup,
    media.plugin.setup,
    evaluation.plugin.setup,
    venues.plugin.setup,  # the main-venue controller: after rooms and media, whose services it is given
    studios.plugin.setup,  # studios, cycles, library, records: on top of every other package
)


def moke_version() -> str:
    try:
        return version("moke")
    except PackageNotFoundError:
        return "0.0.0+source"


def build_app(settings: Settings) -> web.Application:
    middlewares: list[Middleware] = [request_middleware]
    if settings.trusted_proxies:  # outermost: every other layer sees the real client address
        middlewares.insert(0, trusted_proxy_middleware(parse_trusted(settings.trusted_proxies)))
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_request_bytes)
    registry = CollectorRegistry()
    process_metrics.register(registry)
    sio = create_sio(settings)
    sio.attach(app)
    cluster = create_cluster(
        settings.redis_url,
        settings.redis_prefix,
        node_ttl=settings.cluster_node_ttl,
        clock=Clock(settings.debug_clock_offset),
    )
    cluster.failures.register(registry)
    tokens = TokenService(settings.secret_key, settings.token_ttl_seconds)
    limits = create_limits(cluster.redis_client(), settings.redis_prefix)
    flood = FloodGuard(per_user=settings.sio_user_events, limits=limits)
    caps = ConnectionCaps("Socket.IO", settings.conn_per_user, settings.conn_per_token)
    ctx = AppContext(
        settings=settings,
        db=Database(settings.effective_database_url),
        cluster=cluster,
        bus=create_bus(settings.redis_url, settings.redis_prefix, cluster=cluster),
        tokens=tokens,
        metrics=registry,
        sio=sio,
        realtime=Realtime(sio, tokens, flood=flood, caps=caps),
        limits=limits,
    )
    app[CTX] = ctx
    app[HTTP_METRICS] = HttpMetrics(registry)
    passwords = PasswordPool(settings.auth_hash_workers, settings.auth_hash_queue)
    app[PASSWORDS] = passwords

    async def core_services(app: web.Application) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await ctx.db.start()
        await ctx.cluster.start()  # first: it owns the Redis client the bus and the packages share
        await ctx.bus.start()
        log.info(
            "core services up db=%s bus=%s node=%s",
            ctx.db.url.split(":", 1)[0], type(ctx.bus).__name__, ctx.cluster.node_id,
        )  # fmt: skip
        yield
        await ctx.bus.stop()
        await ctx.cluster.stop()
        await ctx.db.stop()
        passwords.close()

    app.cleanup_ctx.append(core_services)

    async def close_realtime(app: web.Application) -> None:
        # Close every Socket.IO connection (each client reconnects, to another process behind a load
        # balancer) instead of holding the stop open until ping timeouts (server/socketio_hooks.py, 5).
        await close_all(sio)
        await sio.shutdown()

    app.on_shutdown.append(close_realtime)

    tables: list[ApiRoutes] = [health.routes, auth_routes.routes]
    for setup in PLUGINS:
        tables.extend(setup(app, ctx))
    for table in tables:
        table.install(app)
    app[health.OPENAPI] = build_openapi(tables, version=moke_version())
    install_static(app, settings.web_dir)
    return app
