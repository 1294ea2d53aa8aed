"""pycrdt-websocket's WebsocketServer behind the `websockets` library, as its README sets it up.

Usage: python bench/peers/pycrdt_server.py PORT   (prints "listening" when ready)
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from pycrdt.websocket import WebsocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class Channel:
    """The pycrdt ``Channel`` protocol over a websockets connection (path = room name)."""

    def __init__(self, ws: ServerConnection) -> None:
        self._ws = ws
        self.path = ws.request.path if ws.request else "/"

    def __aiter__(self) -> Channel:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except Exception:
            raise StopAsyncIteration from None

    async def send(self, message: bytes) -> None:
        # a peer that has gone away must not take the server down (pycrdt-websocket runs every
        # client in one task group, where an escaping exception cancels them all)
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(message)

    async def recv(self) -> bytes:
        data = await self._ws.recv()
        return data if isinstance(data, bytes) else data.encode()


async def main(port: int) -> None:
    async with WebsocketServer() as server:

        async def handler(ws: ServerConnection) -> None:
            await server.serve(Channel(ws))  # type: ignore[arg-type]

        async with serve(handler, "127.0.0.1", port, max_size=None, compression=None, ping_interval=None):
            print("listening", flush=True)
            await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
