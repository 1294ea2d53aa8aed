"""The y-websocket endpoint ``GET /collab/{doc_id}`` (aiohttp WebSocketResponse).

Access is decided before the upgrade (401 without a valid token, 404 unknown or deleted document,
403 not a member / token for another room); roles without ``doc.edit`` get a read-only connection.
Each connection has a message-size limit, a token-bucket rate limit, and is closed alone — with a
close code and reason from ``server.errors.ws_close`` — when it sends something malformed. A user or token
already holding ``conn_per_user`` / ``conn_per_token`` collab connections is closed at once with 4429
``too_many_connections``.

Fan-out writes pre-built frames straight to the client's transport (``collab.aiohttp_hooks``); a client whose
socket buffer grows past ``SLOW_CLIENT_BYTES`` is disconnected rather than slowing everyone down.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from aiohttp import WSMsgType, web
from sqlalchemy import select

from collab.aiohttp_hooks import RawFrames
from collab.api import CONNECTIONS, SESSIONS
from collab.manager import SessionManager
from collab.models import Document
from collab.protocol import decode_frame
from collab.session import DocSession
from rooms.api import Action, allowed, authorize
from server.auth.tokens import Principal
from server.context import ctx_of
from server.errors import (
    BadRequest,
    Conflict,
    MokeError,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
    ws_close,
)
from server.http import bearer_token, principal_of
from server.ratelimit import TokenBucket

log = logging.getLogger(__name__)

SLOW_CLIENT_BYTES = 8 * 1024 * 1024
_serial = itertools.count(1)  # names connections for the connection caps


class Connection:
    """One client WebSocket as a document session sees it (``collab.session.Client``)."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, principal: Principal, *,
                 doc_id: str, room_id: str, read_only: bool) -> None:  # fmt: skip
        self.ws = ws
        self.frames = RawFrames(request, ws)
        self.read_only = read_only
        self.user_id = principal.user_id
        self.room_id = room_id
        self.closed = False
        self.failed = False
        self.label = f"user={principal.user_id}"
        self.doc_id = doc_id
        self._close_task: asyncio.Task[bool] | None = None

    def send(self, frame: bytes) -> None:
        if self.closed or self.frames.closing:
            return
        if self.frames.buffered > SLOW_CLIENT_BYTES:
            self.fail(Unavailable("client too slow to keep up", code="too_slow"))
            return
        self.frames.write(frame)

    def fail(self, exc: MokeError) -> None:
        if self.closed:
            return
        self.closed = self.failed = True
        code, reason = ws_close(exc)
        log.warning(
            "closing collab connection doc=%s %s code=%d: %s", self.doc_id, self.label, code, exc.message
        )
        self._close_task = asyncio.get_running_loop().create_task(self.ws.close(code=code, message=reason))

    async def finish(self) -> None:
        self.closed = True
        if self._close_task is not None:
            with contextlib.suppress(Exception):
                await self._close_task


def close_for_role(manager: SessionManager, room_id: str, user_id: int) -> int:
    """Close ``user_id``'s connections to the documents of ``room_id`` after their role there changed.

    Write access is decided at connect; closing makes the client (y-websocket reconnects by itself) come
    back under the new role, so a demoted editor cannot keep writing and a promoted observer can start."""
    closed = 0
    for session in manager.sessions():
        for client in tuple(session.clients):
            if isinstance(client, Connection) and client.room_id == room_id and client.user_id == user_id:
                client.fail(Conflict("your role in this room changed; connect again", code="role_changed"))
                closed += 1
    return closed


def close_deleted(manager: SessionManager, doc_id: str) -> int:
    """Close every connection to ``doc_id`` in this process after the document was deleted.

    Closing marks the connections failed, so updates they already queued are dropped rather than stored,
    and their reconnect is refused (404) while the document stays deleted."""
    closed = 0
    for session in manager.sessions():
        if session.doc_id != doc_id:
            continue
        for client in tuple(session.clients):
            client.fail(Conflict("this document was deleted", code="doc_deleted"))
            closed += 1
    return closed


def close_all(manager: SessionManager) -> int:
    """Close every connection of this process (the server is stopping): each y-websocket client reconnects by
    itself (to another process behind a load balancer) and resyncs, so nothing it holds is lost. Without this
    an open WebSocket held the stop for the whole ``shutdown_timeout``."""
    closed = 0
    for session in manager.sessions():
        for client in tuple(session.clients):
            client.fail(Unavailable("the server is restarting; reconnect", code="server_restart"))
            closed += 1
    if closed:
        log.info("collab connections closed at shutdown: %d", closed)
    return closed


async def _document_room(request: web.Request, doc_id: str) -> str:
    async with ctx_of(request).db.session() as db:
        row = (
            await db.execute(select(Document.room_id, Document.deleted_at).where(Document.id == doc_id))
        ).first()
    if row is None or row.deleted_at is not None:
        raise NotFound(f"document {doc_id} not found", code="doc_not_found")
    return str(row.room_id)


async def collab_ws(request: web.Request) -> web.StreamResponse:
    ctx = ctx_of(request)
    settings = ctx.settings
    manager = request.app[SESSIONS]
    principal = principal_of(request)
    doc_id = request.match_info["doc_id"]
    room_id = await _document_room(request, doc_id)
    role = await authorize(ctx.db, principal, room_id, Action.DOC_VIEW)
    read_only = not allowed(role, Action.DOC_EDIT)
    caps, key = request.app[CONNECTIONS], f"collab-{next(_serial)}"
    try:
        caps.open(key, principal.user_id, bearer_token(request))
    except RateLimited as exc:  # before the document is loaded: a refused connection costs nothing more
        return await _refuse(request, principal, exc)
    try:
        session = await manager.acquire(doc_id)
        try:
            # aiohttp's own limit sits above ours so that we, not it, close with a reason
            ws = web.WebSocketResponse(
                max_msg_size=settings.collab_max_message_bytes * 2 + 1024, compress=False, heartbeat=30
            )
            await ws.prepare(request)
            conn = Connection(ws, request, principal, doc_id=doc_id, room_id=room_id, read_only=read_only)
            log.info("collab connect doc=%s %s role=%s read_only=%s", doc_id, conn.label, role, read_only)
            await _serve(
                manager, session, conn, settings.collab_max_message_bytes, settings.collab_rate_messages
            )
            return ws
        finally:
            manager.release(session)
    finally:
        caps.close(key)


async def _refuse(request: web.Request, principal: Principal, exc: MokeError) -> web.WebSocketResponse:
    # After the upgrade, so that the client sees the close code and reason (a browser's WebSocket does not
    # show an HTTP status).
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    code, reason = ws_close(exc)
    log.warning("collab connection refused user=%s: %s", principal.user_id, exc.message)
    await ws.close(code=code, message=reason)
    return ws


async def _serve(
    manager: SessionManager, session: DocSession, conn: Connection, max_bytes: int, rate: int
) -> None:
    bucket = TokenBucket(rate)
    session.join(conn)
    try:
        async for msg in conn.ws:
            if conn.closed:
                break
            if msg.type != WSMsgType.BINARY:
                if msg.type == WSMsgType.TEXT:
                    conn.fail(BadRequest("y-websocket messages are binary frames", code="malformed_message"))
                continue
            try:
                if len(msg.data) > max_bytes:
                    raise TooLarge(
                        f"message of {len(msg.data)} bytes exceeds {max_bytes}", code="message_too_large"
                    )
                try:
                    messages = decode_frame(msg.data)
                except ValueError as exc:
                    raise BadRequest(f"malformed message: {exc}", code="malformed_message") from None
                if not bucket.take(len(messages)):
                    raise RateLimited(f"more than {rate} messages per second", code="rate_limited")
                for m in messages:
                    awareness = await session.handle(conn, m)
                    if awareness is not None:
                        await manager.publish_awareness(session.doc_id, awareness)
            except ValueError as exc:
                conn.fail(BadRequest(f"malformed message: {exc}", code="malformed_message"))
            except MokeError as exc:
                conn.fail(exc)
    finally:
        removal = session.leave(conn)
        if removal is not None:
            await manager.publish_awareness(session.doc_id, removal)
        await conn.finish()
        log.info("collab disconnect doc=%s %s code=%s", session.doc_id, conn.label, conn.ws.close_code)
