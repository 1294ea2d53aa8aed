"""Operational routes: health, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.errors import Unavailable

routes = ApiRoutes("operations")
OPENAPI: web.AppKey[dict[str, object]] = web.AppKey("moke_openapi", dict)


class HealthOut(BaseModel):
    status: str
    database: str
    bus: str


@routes.route("GET", "/healthz", summary="Liveness and readiness (database reachable)", response=HealthOut,
              auth=False)  # fmt: skip
async def healthz(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    try:
        async with ctx.db.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from None
    bus = "redis" if ctx.settings.redis_url else "in-process"
    return json_response(HealthOut(status="ok", database=ctx.db.url.split(":", 1)[0], bus=bus))


@routes.route("GET", "/metrics", summary="Prometheus metrics", auth=False, content_type=CONTENT_TYPE_LATEST)
async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(ctx_of(request).metrics)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.route("GET", "/api/openapi.json", summary="This OpenAPI document", auth=False)
async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])
