"""Operational routes: health, Prometheus metrics, the OpenAPI document and its viewer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from server.api import ApiRoutes, json_response
from server.context import AppContext, ctx_of
from server.errors import Unavailable

log = logging.getLogger(__name__)
routes = ApiRoutes("operations")
OPENAPI: web.AppKey[dict[str, object]] = web.AppKey("moke_openapi", dict)


CHECK_TIMEOUT = 2.0
"""Seconds each dependency has to answer ``/healthz``; a load balancer's probe should wait longer than this."""


class HealthOut(BaseModel):
    status: str
    database: str
    bus: str
    checks: dict[str, str]


@routes.route("GET", "/healthz", summary="Liveness and readiness: the database (and Redis, when configured) "
              "answer within 2 s; 503 names the one that did not", response=HealthOut, auth=False,
              errors=((Unavailable, "unhealthy"),))  # fmt: skip
async def healthz(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    checks = {"database": await _check(_ping_database(ctx))}
    redis = ctx.cluster.redis_client()
    if redis is not None:
        checks["redis"] = await _check(redis.ping())
    failed = sorted(name for name, result in checks.items() if result != "ok")
    if failed:
        log.warning("health check failed: %s", ", ".join(f"{n} {checks[n]}" for n in failed))
        raise Unavailable(f"unhealthy: {', '.join(f'{n} {checks[n]}' for n in failed)}", code="unhealthy",
                          details={"failed": failed, "checks": checks})  # fmt: skip
    bus = "redis" if ctx.settings.redis_url else "in-process"
    return json_response(HealthOut(status="ok", database=ctx.db.url.split(":", 1)[0], bus=bus, checks=checks))


async def _ping_database(ctx: AppContext) -> None:
    async with ctx.db.session() as session:
        await session.execute(text("SELECT 1"))


async def _check(probe: Awaitable[object]) -> str:
    """``"ok"``, or why not in a few words (the exception's class: no addresses or credentials leak out)."""
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


@routes.route("GET", "/metrics", summary="Prometheus metrics", auth=False, content_type=CONTENT_TYPE_LATEST)
async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(ctx_of(request).metrics)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.route("GET", "/api/openapi.json", summary="This OpenAPI document", auth=False)
async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])


@routes.route("GET", "/api/docs", summary="This API reference, readable (Swagger UI, from the web build)",
              auth=False, content_type="text/html", errors=((Unavailable, "not_built"),))  # fmt: skip
async def api_docs(request: web.Request) -> web.StreamResponse:
    page = ctx_of(request).settings.web_dir / "api-docs.html"
    if not page.is_file():
        raise Unavailable(
            "the web client is not built (run `make web`); /api/openapi.json has the API", code="not_built"
        )
    return web.FileResponse(page, headers={"Cache-Control": "no-cache"})
