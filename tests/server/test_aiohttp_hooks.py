"""server.aiohttp_hooks: the aiohttp internals Moke relies on still behave (fails loudly on upgrade)."""

from __future__ import annotations

import asyncio

from tests.support.server import RunningServer


async def _raw(server: RunningServer, request: bytes) -> tuple[bytes, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


async def test_oversized_headers_get_a_json_400_without_the_header_echoed(server: RunningServer) -> None:
    head, body = await _raw(
        server, b"GET /api/auth/me HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 20_000 + b"\r\n\r\n"
    )
    assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    assert b"application/json" in head
    assert b'"code": "bad_request"' in body and b"yyyy" not in body


async def test_a_broken_request_line_gets_a_json_400(server: RunningServer) -> None:
    head, body = await _raw(server, b"GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request") and b"application/json" in head
    assert b'"error"' in body


async def test_ordinary_requests_still_pass_through_the_application(server: RunningServer) -> None:
    head, body = await _raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 200 OK") and b'"status":"ok"' in body
