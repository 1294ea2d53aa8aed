"""The Socket.IO server, mounted on the aiohttp app, and the one way Moke handles its events.

Connecting needs a valid token; the session of each connection holds the :class:`Principal` under
``"principal"``. Packages register their events on the app's :class:`Realtime` (``ctx.realtime``)::

    @ctx.realtime.event("chat:send", ChatSendIn)
    async def chat_send(sid: str, body: ChatSendIn) -> Reply:
        ...
        return {"message": ...}

and their clean-up when a connection ends with :meth:`Realtime.on_disconnect`. Every event then has

* **validation**: the one argument is validated against the pydantic model (``validation`` error);
* **flood control**: at most :data:`FLOOD_EVENTS` per second per connection and event name, and (given a
  per-user limit, ``MOKE_SIO_USER_EVENTS`` in the app) at most that many per second per user and event name
  over all of the user's connections and processes (``flood`` error); the counters of a connection are
  dropped when it ends;
* **one reply shape**: the ack gets ``{"ok": true, ...}`` (what the handler returned) or
  ``{"ok": false, "error": {"code", "message", "event"}}``; without an ack the failure goes out as an
  ``error`` event to that one connection (:func:`server.errors.sio_error` makes both). A handler's failure
  never reaches anyone else; an unexpected exception is logged and answered with ``internal``.

Connecting beyond the :class:`~server.ratelimit.ConnectionCaps` of the user or the token is refused
(``connect_error`` with ``data.code`` ``too_many_connections``; a bad token gets its own code there).

Events nobody registered are answered with ``unknown_event``. Disconnect hooks are a list: each runs
once per ended connection, whatever the order packages registered them in, and one failing does not stop
the others.

Why a decorator rather than python-socketio's class-based namespaces: Moke's event names carry a colon
(``room:join``), which cannot be an ``on_<event>`` method name, and several packages share the one
``/`` namespace (a namespace class would own all of its events and its one ``on_disconnect``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel

from server.api import validate
from server.auth.tokens import Principal, TokenService
from server.config import Settings
from server.db import unreachable
from server.errors import MokeError, RateLimited, ValidationError, db_unavailable, sio_error
from server.logs import request_id
from server.ratelimit import ConnectionCaps, Limit, RateLimits, TokenBucket
from server.socketio_hooks import AckAwareServer, DirectEmit, QuickCheckPacket, RedisManager, expects_ack

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Reply = dict[str, Any]
Handler = Callable[[str, M], Awaitable[Reply | None]]
DisconnectHook = Callable[[str], Awaitable[None]]

FLOOD_EVENTS = 20
"""Per connection and event name, per second (a burst of as many, then that rate)."""

_RESERVED = frozenset({"connect", "disconnect", "error", "*"})


def channel(*parts: str) -> str:
    """Name of a Socket.IO room ("channel"): the parts joined by ``:``, e.g. ``channel("room", id, "mod")``.

    Packages define their channels once, with this, in their ``api`` module (``rooms.api.room_channel``)."""
    for part in parts:
        if not part or ":" in part:
            raise ValueError(f"channel part {part!r}: must be non-empty and without ':'")
    return ":".join(parts)


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager: socketio.AsyncManager = DirectEmit()
    if settings.redis_url:
        # python-socketio's own Redis manager carries emits to rooms across processes.
        manager = RedisManager(settings.redis_url, channel=f"{settings.redis_prefix}:socketio")
    return AckAwareServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=QuickCheckPacket,
        cors_allowed_origins="*",
        ping_interval=settings.sio_ping_interval,
        ping_timeout=settings.sio_ping_timeout,
        max_http_buffer_size=settings.rooms_voice_max_bytes * 2,
        logger=False,
        engineio_logger=False,
    )


async def principal_of_sid(sio: socketio.AsyncServer, sid: str) -> Principal:
    session = await sio.get_session(sid)
    principal = session.get("principal")
    if not isinstance(principal, Principal):
        raise MokeError("not authenticated", code="unauthorized")
    return principal


class FloodGuard:
    """Per connection and event name: ``limit`` events per ``seconds`` (a :class:`TokenBucket` each, the hot
    path); with ``per_user`` and ``limits``, also ``per_user`` events per ``seconds`` per user and event name
    over all of that user's connections (:class:`RateLimits`, shared by every process on Redis), so opening
    more connections buys no more events.

    A connection is tracked from :meth:`open` (its connect) to :meth:`forget` (its disconnect). An event of
    a connection that is not tracked (one that raced its connection's end) is refused, so nothing of a
    connection that left is kept."""

    def __init__(
        self,
        limit: int = FLOOD_EVENTS,
        seconds: float = 1.0,
        *,
        per_user: int | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.per_user: Limit | None = None
        if per_user is not None and limits is not None:
            self.per_user = Limit("sio_user", per_user, max(1, round(seconds)), sliding=True)
        self.limits = limits
        self._buckets: dict[str, dict[str, TokenBucket]] = {}
        self._users: dict[str, str] = {}

    def open(self, sid: str, user_id: int | None = None) -> None:
        self._buckets.setdefault(sid, {})
        if user_id is not None:
            self._users[sid] = str(user_id)

    async def allow(self, sid: str, event: str) -> bool:
        per_event = self._buckets.get(sid)
        if per_event is None:
            return False
        bucket = per_event.get(event)
        if bucket is None:
            bucket = per_event[event] = TokenBucket(self.limit / self.seconds, burst=self.limit)
        if not bucket.take():
            return False
        user = self._users.get(sid)
        if self.per_user is None or self.limits is None or user is None:
            return True
        return await self.limits.hit(self.per_user, user, event)

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)
        self._users.pop(sid, None)

    def tracked(self, sid: str) -> bool:
        return sid in self._buckets

    def __len__(self) -> int:
        return len(self._buckets)


class Realtime:
    """The Socket.IO event table of the app: authenticated connect, handlers, disconnect hooks."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        tokens: TokenService,
        *,
        flood: FloodGuard | None = None,
        caps: ConnectionCaps | None = None,
    ) -> None:
        self.sio = sio
        self.tokens = tokens
        self.flood = flood if flood is not None else FloodGuard()
        self.caps = caps
        self._events: set[str] = set()
        # sid -> id of the HTTP request that carried the connect: every event's log lines carry it.
        self._request_ids: dict[str, str] = {}
        self._disconnect_hooks: list[DisconnectHook] = []
        sio.on("connect", self._connect)
        sio.on("disconnect", self._disconnect)
        sio.on("*", self._unknown)

    def on_resubscribed(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Call ``listener()`` when broadcasts from other processes may have been lost (the Redis manager
        listens again after losing Redis); nothing to do in one process."""
        manager = self.sio.manager
        if isinstance(manager, RedisManager):
            manager.on_resubscribed(listener)

    def event(self, name: str, model: type[M]) -> Callable[[Handler[M]], Handler[M]]:
        """Register ``fn(sid, body)`` for ``name``: validated into ``model``, flood-guarded, answered."""
        if name in _RESERVED or name in self._events:
            raise ValueError(f"Socket.IO event {name!r} is reserved or already registered")
        self._events.add(name)

        def register(fn: Handler[M]) -> Handler[M]:
            async def handle(sid: str, *args: Any) -> Reply:
                request_id.set(self._request_ids.get(sid, "-"))  # each event runs in its own task
                try:
                    if not await self.flood.allow(sid, name):
                        raise RateLimited(f"too many {name} events; slow down", code="flood")
                    if len(args) != 1:
                        raise ValidationError("expected one JSON object as the payload")
                    return {"ok": True, **(await fn(sid, validate(model, args[0])) or {})}
                except MokeError as exc:
                    return await self._fail(sid, exc, name)
                except Exception as exc:
                    if unreachable(exc):
                        log.warning("database unreachable event=%s sid=%s: %r", name, sid, exc)
                        return await self._fail(sid, db_unavailable(), name)
                    log.exception("socket.io handler failed event=%s sid=%s", name, sid)
                    return await self._fail(sid, MokeError("internal error", code="internal"), name)

            self.sio.on(name, handle)
            return fn

        return register

    def on_disconnect(self, hook: DisconnectHook) -> DisconnectHook:
        """Run ``hook(sid)`` when a connection ends (with every other hook; registration order is irrelevant)."""
        self._disconnect_hooks.append(hook)
        return hook

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not token:
            query = environ.get("QUERY_STRING", "")
            for part in query.split("&"):
                if part.startswith("token="):
                    token = part[6:]
        try:
            principal = self.tokens.verify(token)
            if self.caps is not None:
                self.caps.open(sid, principal.user_id, token)
        except MokeError as exc:
            # Socket.IO's own shape: the client's connect_error carries ``message`` and ``data`` (code, message).
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.to_dict()) from None
        await self.sio.save_session(sid, {"principal": principal})
        self._request_ids[sid] = request_id.get()
        self.flood.open(sid, principal.user_id)
        log.debug("sio connect sid=%s user=%s", sid, principal.user_id)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        # Not always in a task of its own (a transport's close runs it inline): the id is put back after.
        token = request_id.set(self._request_ids.pop(sid, "-"))
        try:
            self.flood.forget(sid)
            if self.caps is not None:
                self.caps.close(sid)
            hooks = list(self._disconnect_hooks)
            results = await asyncio.gather(*(hook(sid) for hook in hooks), return_exceptions=True)
            for hook, result in zip(hooks, results, strict=True):
                if isinstance(result, BaseException):
                    name = getattr(hook, "__qualname__", repr(hook))
                    log.error("disconnect hook %s failed sid=%s", name, sid, exc_info=result)
        finally:
            request_id.reset(token)

    async def _unknown(self, event: Any, sid: str, *args: Any) -> Reply:
        request_id.set(self._request_ids.get(sid, "-"))
        name = event[:64] if isinstance(event, str) else "?"
        exc: MokeError = ValidationError(f"unknown event {name!r}", code="unknown_event")
        if not await self.flood.allow(sid, "*"):
            exc = RateLimited("too many events; slow down", code="flood")
        return await self._fail(sid, exc, name)

    async def _fail(self, sid: str, exc: MokeError, event: str) -> Reply:
        body = sio_error(exc, event)
        if not expects_ack():
            await self.sio.emit("error", body, to=sid)
        return body
