"""The Socket.IO server, mounted on the aiohttp app. Connecting needs a valid token.

Packages add their own events (``rooms`` joins and chat, ``media`` signalling). The session of
each connection holds the :class:`Principal` under ``"principal"``.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

import socketio

from server.auth.tokens import Principal, TokenService
from server.config import Settings
from server.errors import MokeError
from server.fanout import DirectEmit, RedisManager

log = logging.getLogger(__name__)

_ACK_REQUESTED: ContextVar[bool] = ContextVar("moke_sio_ack_requested", default=False)


def expects_ack() -> bool:
    """Inside an event handler: did the client ask for an ack? (Failures without one get an ``error`` event.)"""
    return _ACK_REQUESTED.get()


class MokeSocketServer(socketio.AsyncServer):
    """``AsyncServer`` that tells handlers whether the client asked for an ack (see :func:`expects_ack`)."""

    async def _handle_event_internal(  # type: ignore[no-untyped-def]
        self, server, sid, eio_sid, data, namespace, id
    ):
        # Each event runs in its own task (async_handlers), so this value stays with this event.
        _ACK_REQUESTED.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager: socketio.AsyncManager = DirectEmit()
    if settings.redis_url:
        # python-socketio's own Redis manager carries emits to rooms across processes.
        manager = RedisManager(settings.redis_url, channel=f"{settings.redis_prefix}:socketio")
    return MokeSocketServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins="*",
        ping_interval=settings.sio_ping_interval,
        ping_timeout=settings.sio_ping_timeout,
        max_http_buffer_size=settings.rooms_voice_max_bytes * 2,
        logger=False,
        engineio_logger=False,
    )


def install_auth(sio: socketio.AsyncServer, tokens: TokenService) -> None:
    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not token:
            query = environ.get("QUERY_STRING", "")
            for part in query.split("&"):
                if part.startswith("token="):
                    token = part[6:]
        try:
            principal = tokens.verify(token)
        except MokeError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.to_dict()) from None
        await sio.save_session(sid, {"principal": principal})
        log.debug("sio connect sid=%s user=%s", sid, principal.user_id)


async def principal_of_sid(sio: socketio.AsyncServer, sid: str) -> Principal:
    session = await sio.get_session(sid)
    principal = session.get("principal")
    if not isinstance(principal, Principal):
        raise MokeError("not authenticated", code="unauthorized")
    return principal
