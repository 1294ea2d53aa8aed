"""Operational routes: health, Prometheus metrics, the OpenAPI document and its viewer."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections.abc import Awaitable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from server.api import ApiRoutes, json_response
from server.context import AppContext, ctx_of
from server.errors import Forbidden, Unauthorized, Unavailable
from server.proxies import parse_trusted

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


@routes.route("GET", "/metrics", summary="Prometheus metrics: to MOKE_METRICS_ALLOW sources (and MOKE_METRICS_TOKEN)",
              auth=False, content_type=CONTENT_TYPE_LATEST,
              errors=((Unauthorized, "metrics_token"), (Forbidden, "metrics_forbidden")))  # fmt: skip
async def metrics(request: web.Request) -> web.Response:
    # Labels name rooms and routes: the scrape is for the operator's Prometheus, not for the public.
    settings = ctx_of(request).settings
    if not _allowed(request.remote, parse_trusted(settings.metrics_allow, "MOKE_METRICS_ALLOW")):
        raise Forbidden(
            "/metrics is not served to this address (MOKE_METRICS_ALLOW)", code="metrics_forbidden"
        )
    if settings.metrics_token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
            raise Unauthorized("/metrics needs its bearer token (MOKE_METRICS_TOKEN)", code="metrics_token")
    body = generate_latest(ctx_of(request).metrics)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _allowed(remote: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False  # a Unix socket or an unknown peer: not a known scraper
    return any(address in network for network in networks)


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
