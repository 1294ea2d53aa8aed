"""What every package is handed at start-up: settings, storage, cluster, bus, tokens, metrics, Socket.IO
(``sio`` to emit, ``realtime`` to register events and disconnect hooks), and the shared rate ``limits``."""

from __future__ import annotations

from dataclasses import dataclass

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry

from server.auth.tokens import TokenService
from server.bus import Bus
from server.cluster import Cluster
from server.config import Settings
from server.db import Database
from server.ratelimit import RateLimits
from server.realtime import Realtime


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cluster: Cluster
    bus: Bus
    tokens: TokenService
    metrics: CollectorRegistry
    sio: socketio.AsyncServer
    realtime: Realtime
    limits: RateLimits


CTX: web.AppKey[AppContext] = web.AppKey("moke_ctx", AppContext)


def ctx_of(request: web.Request) -> AppContext:
    return request.app[CTX]
