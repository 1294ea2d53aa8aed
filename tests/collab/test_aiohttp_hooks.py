"""Loud failures when an aiohttp upgrade breaks what collab/aiohttp_hooks.py relies on.

Each test runs a real aiohttp server on a free port; the byte-level ones read the socket with a
hand-written WebSocket handshake so that what aiohttp puts on the wire is compared byte for byte.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from aiohttp._websocket.writer import WebSocketWriter

from collab.aiohttp_hooks import PINNED, RawFrames, binary_frame
from tests.support.server import serving

Handler = Callable[[web.Request, web.WebSocketResponse], Awaitable[None]]


def test_pinned_version() -> None:
    assert aiohttp.__version__.startswith(PINNED), "re-check collab/aiohttp_hooks.py against this aiohttp"


def test_uncompressed_frames_are_written_without_yielding() -> None:
    # hook 2: a raw frame can only ever land between two of aiohttp's frames if aiohttp writes a whole
    # uncompressed frame in one synchronous step
    assert not inspect.iscoroutinefunction(WebSocketWriter._write_websocket_frame)


@asynccontextmanager
async def ws_server(handler: Handler, *, compress: bool = False) -> AsyncIterator[str]:
    done = asyncio.get_running_loop().create_future()

    async def endpoint(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=compress)
        await ws.prepare(request)
        try:
            await handler(request, ws)
        except BaseException as exc:
            if not done.done():
                done.set_exception(exc)
            raise
        await ws.close()
        if not done.done():
            done.set_result(None)
        return ws

    app = web.Application()
    app.router.add_get("/ws", endpoint)
    async with serving(app) as address:
        yield address
        await asyncio.wait_for(done, 10)


async def raw_frames(address: str, count: int, *, extra: str = "") -> list[bytes]:
    """Handshake by hand, then return the next ``count`` frames exactly as they came off the socket."""
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    frames = []
    for _ in range(count):
        header = await reader.readexactly(2)
        n = header[1] & 0x7F
        extended = b""
        if n == 126:
            extended = await reader.readexactly(2)
            n = int.from_bytes(extended, "big")
        elif n == 127:
            extended = await reader.readexactly(8)
            n = int.from_bytes(extended, "big")
        frames.append(header + extended + await reader.readexactly(n))
    writer.close()
    return frames


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
async def test_one_raw_frame_is_what_aiohttp_sends(size: int) -> None:
    """Hooks 1 and 3: the prepared frame equals aiohttp's own, and goes out on the same connection."""
    payload = os.urandom(size)

    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_bytes(payload)
        RawFrames(request, ws).write(binary_frame(payload))

    async with ws_server(handler) as address:
        theirs, ours = await raw_frames(address, 2)
    assert ours == theirs == binary_frame(payload)


async def test_raw_frames_interleave_with_aiohttp_frames_in_order() -> None:
    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        raw = RawFrames(request, ws)
        for i in range(50):
            if i % 2:
                raw.write(binary_frame(b"raw %d" % i))
            else:
                await ws.send_bytes(b"aiohttp %d" % i)
            if i % 7 == 0:
                await ws.ping(b"p")
        assert raw.buffered >= 0 and not raw.closing

    async with ws_server(handler) as address, aiohttp.ClientSession() as http:
        async with http.ws_connect(f"http://{address}/ws", autoping=True) as ws:
            got = [(await ws.receive_bytes(timeout=10)) for _ in range(50)]
    assert got == [(b"raw %d" if i % 2 else b"aiohttp %d") % i for i in range(50)]


async def test_a_closing_connection_takes_no_raw_frames() -> None:
    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        raw = RawFrames(request, ws)
        request.transport.close()  # type: ignore[union-attr]
        assert raw.closing
        raw.write(binary_frame(b"lost"))  # must not raise

    async with ws_server(handler) as address:
        with pytest.raises(asyncio.IncompleteReadError):
            await raw_frames(address, 1)


async def test_a_compressing_connection_is_refused() -> None:
    """A connection that negotiated permessage-deflate would need RSV1 and deflated payloads."""

    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        assert ws.compress
        with pytest.raises(RuntimeError, match="compression"):
            RawFrames(request, ws)

    async with ws_server(handler, compress=True) as address:
        await raw_frames(address, 1, extra="Sec-WebSocket-Extensions: permessage-deflate\r\n")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_binary_frame_header(size: int) -> None:
    frame = binary_frame(b"x" * size)
    assert frame[0] == 0x82 and frame.endswith(b"x" * size)
    if size < 126:
        assert frame[1] == size and len(frame) == size + 2
    elif size < 65536:
        assert frame[1] == 126 and int.from_bytes(frame[2:4], "big") == size
    else:
        assert frame[1] == 127 and int.from_bytes(frame[2:10], "big") == size
