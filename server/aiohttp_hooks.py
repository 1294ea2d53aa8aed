"""Every place Moke reaches into aiohttp internals. Pinned to aiohttp 3.14.

Nothing else in Moke touches a private name of aiohttp; ``tests/server/test_aiohttp_hooks.py`` fails
loudly when an upgrade moves any of these:

1. **Protocol errors answer JSON.** A request aiohttp cannot parse (a header line over
   ``max_field_size``, a broken request line) never reaches the application or its middlewares:
   ``RequestHandler`` answers it itself through ``handle_error``, as ``text/plain``. Clients of a
   JSON API then get the one error they cannot read. :class:`AppRunner` makes its server build
   :class:`_JsonErrorHandler` connections (``Server.__call__`` builds the ``RequestHandler``;
   ``AppRunner._make_server`` builds the ``Server``), whose ``handle_error`` keeps aiohttp's logging
   and connection handling and replaces only the body.
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from server.errors import error_body

_CODES = {400: "bad_request", 413: "too_large", 431: "headers_too_large", 504: "timeout"}


class _JsonErrorHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs; raises if a response already began
        # aiohttp's message can quote the offending bytes (a whole oversized header): not echoed back.
        text = (
            "internal server error" if status >= 500 else f"malformed request ({HTTPStatus(status).phrase})"
        )
        response = web.json_response(error_body(_CODES.get(status, "internal" if status >= 500 else "http_error"),
                                                text), status=status)  # fmt: skip
        response.force_close()
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer protocol errors as Moke's JSON errors."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer
        return server
