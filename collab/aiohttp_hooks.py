"""Every place Moke reaches past aiohttp's public WebSocket API. Pinned to aiohttp 3.14.

A relayed document update is framed once and the same bytes are written to every client's transport,
instead of ``WebSocketResponse.send_bytes`` framing (and copying) it once per connection. That is only
safe while these hold; ``tests/collab/test_aiohttp_hooks.py`` fails loudly when an upgrade changes one:

1. **Server frames are plain.** A server's frames are unmasked (RFC 6455 §5.1) and, with
   ``compress=False``, carry no RSV1 bit, so one frame built by :func:`binary_frame` is byte-for-byte
   what aiohttp's ``WebSocketWriter`` would send on any connection.
2. **aiohttp writes whole frames synchronously.** An uncompressed frame goes to the transport in
   ``transport.write`` calls made without yielding to the event loop, and the writer keeps no buffer of
   its own; so a frame written by :class:`RawFrames` between two of aiohttp's (a ping, the close frame)
   never lands inside one, and order is kept.
3. **``request.transport`` is the connection's transport** after ``prepare()``: the one the response's
   writer writes to, whose ``get_write_buffer_size()`` tells how far the client is behind.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

PINNED = "3.14."


def binary_frame(payload: bytes) -> bytes:
    """One unmasked, uncompressed, final binary WebSocket frame (RFC 6455 §5.2), as a server sends it."""
    n = len(payload)
    if n < 126:
        header = bytes((0x82, n))
    elif n < 1 << 16:
        header = bytes((0x82, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x82, 127)) + n.to_bytes(8, "big")
    return header + payload


class RawFrames:
    """Writes pre-built frames straight to one prepared WebSocket connection's transport."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        if not ws.prepared:
            raise RuntimeError("RawFrames needs a prepared WebSocketResponse")
        if ws.compress:
            raise RuntimeError("RawFrames needs a WebSocketResponse without compression")
        self._transport: asyncio.Transport | None = request.transport

    @property
    def closing(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    @property
    def buffered(self) -> int:
        """Bytes written but not yet sent to the client (its backlog)."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size()

    def write(self, frame: bytes) -> None:
        """Send ``frame`` (from :func:`binary_frame`) now; nothing happens once the connection is closing."""
        if not self.closing:
            assert self._transport is not None
            self._transport.write(frame)
