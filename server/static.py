"""Serves the built browser client (``web/dist``), with index.html for client-side routes."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.errors import NotFound

_RESERVED = ("/api/", "/collab/", "/socket.io/", "/media/", "/metrics", "/healthz")
_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Moke</title>
<p>Moke 服务器已启动，但网页客户端尚未构建。请运行 <code>make run</code>。<br>
The server is running but the web client is not built. Run <code>make run</code>.</p>"""


def install_static(app: web.Application, web_dir: Path) -> None:
    root = web_dir.resolve()

    async def serve(request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith(_RESERVED):
            raise NotFound(f"no route for {request.method} {path}")
        index = root / "index.html"
        if not index.exists():
            return web.Response(text=_NOT_BUILT, content_type="text/html", status=503)
        try:
            candidate = (root / path.lstrip("/")).resolve()
            found = candidate.is_file() and candidate.is_relative_to(root)
        except (ValueError, OSError):  # a NUL byte, a name too long: no file has such a path
            raise NotFound(f"no file {path!r}") from None
        if found:
            headers = {"Cache-Control": "public, max-age=31536000, immutable"} if "/assets/" in path else {}
            return web.FileResponse(candidate, headers=headers)
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.router.add_get("/{tail:.*}", serve)
