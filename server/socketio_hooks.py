"""Every place Moke reaches into python-socketio internals. Pinned to python-socketio 5.18.

Nothing else in Moke touches a private name of python-socketio; ``tests/server/test_socketio_hooks.py``
fails loudly when an upgrade moves any of these:

1. **Did the client ask for an ack?** Handlers cannot see the packet's ack id, yet a failure without one
   must go out as an ``error`` event (``server.realtime``). :class:`AckAwareServer` overrides the private
   ``AsyncServer._handle_event_internal(server, sid, eio_sid, data, namespace, id)`` to note ``id is not
   None`` in a context variable that :func:`expects_ack` reads. Each event runs in its own task
   (``async_handlers``), so the value stays with that event.
2. **Broadcast without a task per recipient.** ``AsyncManager.emit`` starts one asyncio task per recipient
   to put the (already encoded) packet on that client's send queue, then waits for them all. In a room of
   500 that is 500 tasks per chat message, and creating and running them cost the server more CPU than
   writing the frames (``bench/room_fanout.py``). Putting on the queue never blocks, so :class:`DirectEmit`
   does it in a loop through the private ``AsyncServer._send_eio_packet(eio_sid, pkt)``, reading the
   manager's ``rooms`` table through ``get_participants``. Emits with a callback (one ack id per recipient)
   keep the library's path.
3. **The same under Redis.** :class:`RedisManager` puts :class:`DirectEmit` under python-socketio's Redis
   manager, whose private ``AsyncPubSubManager._handle_emit`` delivers a message from another process with
   ``super().emit(...)``: by the method resolution order that is :meth:`DirectEmit.emit`.
4. **Resubscribing after Redis went away.** The library's private ``_redis_listen_with_retries`` waits 1, 2,
   4 … 60 s between tries and says nothing when it is back; emits from other processes published meanwhile
   are lost to this process's clients. :class:`RedisManager` overrides it (``_redis_connect``, ``pubsub``,
   ``channel``) to retry from 0.1 s up to 2 s and to call :meth:`RedisManager.on_resubscribed` listeners,
   which resend what clients may have missed (presence).
5. **Closing every connection when the server stops.** ``engineio.AsyncServer.disconnect()`` queues a CLOSE
   packet, but a WebSocket's writer closes the WebSocket only once its send queue has stayed empty for
   ``ping_interval + ping_timeout`` (socket.io-client ignores a CLOSE packet over WebSocket: the server is
   to close it), so each stop waited 20 s with a browser connected. :func:`close_all` also puts the
   private queue's ``None`` sentinel on each socket's ``queue``, on which ``AsyncSocket.poll`` returns no
   packets and the writer closes the WebSocket at once; the browser reconnects (to another process).
6. **Waiting for the next packet without a task per wait.** Each connection's WebSocket writer waits for its
   next packet in ``AsyncSocket.poll``, with ``asyncio.wait_for``, which on Python 3.11 wraps every wait in
   a new task (and a timer): in a room of 500 that is 500 tasks per chat message, about a fifth of the
   server's CPU per delivery after the send itself (``bench/room_fanout.py``, py-spy). :class:`AckAwareServer`
   gives each new Engine.IO socket :func:`poll`, the same method with ``asyncio.timeout`` (no task), from
   ``_handle_eio_connect(eio_sid, environ)``, which runs before the socket's writer starts. The hook test
   pins the source of the ``poll`` it replaces.
7. **The binary check of every packet.** ``Packet.__init__`` walks the whole payload with the classmethod
   ``Packet.data_is_binary`` (recursion, a list and a ``functools.reduce`` per level, no early exit) to decide
   whether it needs binary attachments. A join's answer to a room of 500 holds about a thousand small dicts,
   and the walk cost more than encoding it as JSON (3 ms a join, py-spy). :class:`QuickCheckPacket`, given to
   the server as its ``serializer`` (a public argument), answers the same with one loop over a stack; the hook
   test pins the method it replaces and compares both on the same payloads.
8. **No per-message compression.** python-engineio's aiohttp driver makes each WebSocket with aiohttp's
   default ``compress=True``, so a browser that offers permessage-deflate (all of them do) gets every message
   compressed for it alone, with a zlib compressor kept per connection: about 100 KB more per connection
   (300 connections: 135 KB each against 35 KB) and a compression per recipient of every broadcast. The
   reference server, Node's engine.io, has had ``perMessageDeflate: false`` by default since v4 for the same
   reasons. :class:`AckAwareServer` puts :class:`PlainWebSocket` (the driver's ``WebSocket`` with
   ``compress=False``) in the Engine.IO server's private driver table ``_async["websocket"]``.
"""

from __future__ import annotations

import asyncio
import logging
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import socketio
from aiohttp.web import WebSocketResponse
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet

log = logging.getLogger(__name__)

_ACK_REQUESTED: ContextVar[bool] = ContextVar("moke_sio_ack_requested", default=False)


def expects_ack() -> bool:
    """Inside an event handler: did the client ask for an ack? (Failures without one get an ``error`` event.)"""
    return _ACK_REQUESTED.get()


class PlainWebSocket(eio_aiohttp.WebSocket):
    """The aiohttp driver's WebSocket without permessage-deflate (hook 8)."""

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


class AckAwareServer(socketio.AsyncServer):
    """``AsyncServer`` that tells handlers whether the client asked for an ack (see :func:`expects_ack`),
    with the hooks 6 and 8 on its Engine.IO server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eio._async = {**self.eio._async, "websocket": PlainWebSocket}

    async def _handle_event_internal(  # type: ignore[no-untyped-def]
        self, server, sid, eio_sid, data, namespace, id
    ):
        _ACK_REQUESTED.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)

    async def _handle_eio_connect(self, eio_sid, environ):  # type: ignore[no-untyped-def]
        sock = self.eio.sockets.get(eio_sid)
        if isinstance(sock, AsyncSocket):
            sock.poll = types.MethodType(poll, sock)
        return await super()._handle_eio_connect(eio_sid, environ)


async def poll(self: AsyncSocket) -> list[eio_packet.Packet]:
    """python-engineio 4.15's ``AsyncSocket.poll`` with ``asyncio.timeout`` in place of ``asyncio.wait_for``."""
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            packets = [await self.queue.get()]
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise eio_exceptions.QueueEmpty() from None
    if packets == [None]:
        return []
    while True:
        try:
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        except asyncio.QueueEmpty:
            break
    return packets


class QuickCheckPacket(packet.Packet):
    """python-socketio's packet whose binary check (bytes or bytearray anywhere in lists and dict values)
    loops over a stack instead of recursing (hook 7)."""

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, bytes | bytearray):
                return True
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
        return False


class DirectEmit(socketio.AsyncManager):
    """Client manager whose broadcasts queue one packet per recipient directly (no task per recipient)."""

    async def emit(  # type: ignore[no-untyped-def]
        self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs
    ):
        room = to or room
        if callback is not None or namespace not in self.rooms:
            return await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        args: list[Any] = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for frame in frames:
                try:
                    await self.server._send_eio_packet(eio_sid, frame)
                except Exception:  # one broken connection must not stop the others' delivery
                    log.exception("socket.io send failed sid=%s event=%s", sid, event)


class RedisManager(socketio.AsyncRedisManager, DirectEmit):
    """python-socketio's Redis manager (across processes) with :class:`DirectEmit` for this process's clients."""

    RETRY_START = 0.1
    RETRY_MAX = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resubscribed: list[Callable[[], Awaitable[None]]] = []
        self._resync_tasks: set[asyncio.Task[None]] = set()

    def on_resubscribed(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Call ``listener()`` each time the manager listens again after losing Redis."""
        self._resubscribed.append(listener)

    async def _resync(self) -> None:
        for listener in list(self._resubscribed):
            try:
                await listener()
            except Exception:
                log.exception("socket.io resubscribe listener failed")

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        retry, subscribed, first = self.RETRY_START, False, True
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed, retry = True, self.RETRY_START
                    if not first:
                        log.info("socket.io redis manager listening again channel=%s", self.channel)
                        task = asyncio.get_running_loop().create_task(self._resync())
                        self._resync_tasks.add(task)
                        task.add_done_callback(self._resync_tasks.discard)
                    first = False
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                log.warning("socket.io redis manager lost redis (%s); retry in %.1f s", exc, retry)
                subscribed = False
                await asyncio.sleep(retry)
                retry = min(retry * 2, self.RETRY_MAX)


async def close_all(sio: socketio.AsyncServer) -> None:
    """Close every client's connection now (the server is stopping): disconnect handlers run, each client
    hears the close at once and reconnects (see hook 5)."""
    eio = sio.eio
    for sock in list(eio.sockets.values()):
        try:
            await sock.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            sock.queue.put_nowait(None)
        except Exception:  # one broken connection must not keep the others open
            log.exception("socket.io close at shutdown failed sid=%s", sock.sid)
