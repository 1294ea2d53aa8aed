"""HTTP middlewares: request ids, JSON errors everywhere, metrics; plus the auth helpers handlers use."""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram

from server.auth.tokens import Principal
from server.context import ctx_of
from server.db import unreachable
from server.errors import MokeError, RateLimited, TooLarge, Unauthorized, db_unavailable, error_body
from server.logs import access_log, redacted_query, request_id
from server.models import User
from server.proxies import VIA_TRUSTED_PROXY

log = logging.getLogger(__name__)

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 429: "rate_limited"}  # fmt: skip


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "moke_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "moke_http_request_seconds", "HTTP request latency", ["route"], registry=registry
        )


# Sent on every response. The built client loads only its own scripts and styles (no inline script); media
# elements play blob: URLs and Socket.IO/collab connect back to this origin over ws(s).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'"
    ),
}
RETRY_AFTER_DEFAULT = "60"  # seconds, for a 429 that did not say
DB_RETRY_AFTER = "5"  # seconds: a database restart takes a few
# What a proxy's X-Request-Id may look like: it is written into every log line, so no spaces or newlines.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("moke_principal", Principal)
HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("moke_http_metrics", HttpMetrics)


@web.middleware
async def request_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = incoming_request_id(request) or uuid.uuid4().hex[:16]
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = await handler(request)
            status = response.status
        except MokeError as exc:
            status = exc.status
            if status >= 500:
                log.error("request failed %s %s: %s", request.method, request.path, exc.message)
            response = web.json_response(error_body(exc.code, exc.message, exc.details), status=exc.status)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
        except web.HTTPException as exc:
            status = exc.status
            if status < 400 or exc.content_type == "application/json":
                raise
            code = _STATUS_CODES.get(status, "http_error")
            message = exc.reason if exc.status != 413 else "request body too large"
            response = web.json_response(error_body(code, message), status=status, headers=_keep_headers(exc))
        except Exception as exc:
            if unreachable(exc):  # down or restarting: a clear 503 the client may retry, not a 500
                status = 503
                log.warning("database unreachable %s %s: %r", request.method, request.path, exc)
                err = db_unavailable()
                response = web.json_response(error_body(err.code, err.message), status=503)
                response.headers["Retry-After"] = DB_RETRY_AFTER
            else:
                log.exception("unhandled error %s %s", request.method, request.path)
                response = web.json_response(error_body("internal", "internal server error"), status=500)
        response.headers["X-Request-Id"] = rid
        if not response.prepared:  # a WebSocket or stream already sent its headers
            response.headers.update(SECURITY_HEADERS)
            response.headers["Server"] = "Moke"
            if status == 429:
                response.headers.setdefault("Retry-After", RETRY_AFTER_DEFAULT)
        return response
    finally:
        elapsed = time.perf_counter() - started
        route = (
            request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
        )
        metrics = request.app.get(HTTP_METRICS)
        if metrics is not None:
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            _log_access(request, route, status, elapsed)
        request_id.reset(token)


def incoming_request_id(request: web.Request) -> str | None:
    """The ``X-Request-Id`` a trusted proxy sent, if well-formed; a client's own is not believed (it would let
    anyone make their lines look like someone else's)."""
    if not request.get(VIA_TRUSTED_PROXY):
        return None
    value = request.headers.get("X-Request-Id", "")
    return value if _REQUEST_ID.fullmatch(value) else None


def _log_access(request: web.Request, route: str, status: int, elapsed: float) -> None:
    """One line per request, written when it ends (a WebSocket's when it closes): the fields go in ``extra``
    for JSON logs; token values in the query string are masked (``?token=***``)."""
    query = redacted_query(request.query_string)
    path = request.rel_url.raw_path  # still percent-encoded: a decoded %0A would start a forged line
    target = f"{path}?{query}" if query else path
    duration_ms = round(elapsed * 1000, 1)
    access_log.info(
        "%s %s %s %.1fms %s",
        request.method, target, status, duration_ms, request.remote or "-",
        extra={"request_id": request_id.get(), "method": request.method, "path": path, "query": query, "route": route, "status": status,
               "duration_ms": duration_ms, "remote": request.remote or "-",
               "user_agent": request.headers.get("User-Agent", "")},
    )  # fmt: skip


def _keep_headers(exc: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}


def bearer_token(request: web.Request) -> str | None:
    """The ``Authorization: Bearer`` token; in the query string (``?token=``) only on a WebSocket upgrade
    (a browser cannot set headers there). On REST a session token in a URL (proxy logs, history) is 401
    ``token_in_url``: media elements use a short-lived URL token in ``?t=`` (``POST /api/url-token``)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if "token" not in request.query:
        return None
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return request.query["token"]
    raise Unauthorized(
        "session tokens are not accepted in the URL; send Authorization: Bearer, or ?t= from /api/url-token",
        code="token_in_url",
    )


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller, or 401. Cached on the request."""
    cached = request.get(PRINCIPAL)
    if cached is not None:
        return cached
    tokens = ctx_of(request).tokens
    token = bearer_token(request)
    url_token = request.query.get("t")
    if token is None and url_token and request.method in ("GET", "HEAD"):
        principal = tokens.verify_url(url_token, request.path)
    else:
        principal = tokens.verify(token)
    request[PRINCIPAL] = principal
    return principal


async def existing_principal(request: web.Request) -> Principal:
    """:func:`principal_of`, and the account still exists; 401 when it does not.

    A signed token outlives its account when a database is restored from an older backup (or a
    row is removed by hand). Routes that act only on the caller's own account (create a room,
    redeem an invite, read "me") use this; room routes are already refused by the membership check.
    """
    p = principal_of(request)
    async with ctx_of(request).db.session() as session:
        exists = await session.get(User, p.user_id) is not None
    if not exists:
        raise Unauthorized("account no longer exists", code="token_invalid")
    return p


def require_admin(request: web.Request) -> Principal:
    p = principal_of(request)
    if not p.is_admin:
        raise Unauthorized("administrator token required", code="admin_required")
    return p


async def read_body(request: web.Request, limit: int, *, what: str = "the request body") -> bytes:
    """The whole request body, or :class:`TooLarge` as soon as it passes ``limit`` bytes.

    ``request.content.read(n)`` returns what is buffered so far, not ``n`` bytes: one call
    silently truncates a body that arrives in pieces. Chunked bodies (no Content-Length) are
    counted as they arrive, so they cannot slip past the limit either.
    """
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"{what} is at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{what} is at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
