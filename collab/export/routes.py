"""``GET /api/docs/{doc_id}/export?format=md|html|docx&version=&comments=1``."""

from __future__ import annotations

import asyncio
from typing import Literal
from urllib.parse import quote

from aiohttp import web

from collab.comments import list_threads
from collab.documents import doc_access, live_docs
from collab.export import html, markdown
from collab.prosemirror import doc_from_state, read_doc
from collab.versions import get_version
from rooms.api import Action
from server.api import ApiRoutes, Query
from server.context import ctx_of
from server.errors import BadRequest

routes = ApiRoutes("collab")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"md": "text/markdown", "html": "text/html", "docx": DOCX_TYPE}


@routes.route("GET", "/api/docs/{doc_id}/export", summary="Export the lesson plan (or a version)",
              content_type="application/octet-stream",
              query={"format": Query("file format", choices=tuple(FORMATS), default="md"),
                     "version": "version id (default: the live document)",
                     "comments": Query("1 to include comment threads", Literal["0", "1"], default="0")},
              errors=((BadRequest, "bad_format"),))  # fmt: skip
async def export_doc(request: web.Request) -> web.StreamResponse:
    access = await doc_access(request, Action.DOC_EXPORT)
    fmt = request.query.get("format", "md")
    if fmt not in FORMATS:
        raise BadRequest("format must be md, html or docx", code="bad_format")
    title = access.doc.title
    if version_id := request.query.get("version"):
        version = await get_version(ctx_of(request).db, access.doc.id, version_id)
        state = version.state
        title = f"{title}（{version.name}）"
    else:
        state = await live_docs(request).state(access.doc.id)
    body = await asyncio.to_thread(render, fmt, title, state, request.query.get("comments") == "1")
    # ASCII fallback first for old clients, then the UTF-8 Chinese name (RFC 6266 / 5987)
    headers = {"Content-Disposition": f"attachment; filename=\"lesson-plan.{fmt}\"; "
                                      f"filename*=UTF-8''{quote(f'{title}.{fmt}')}"}  # fmt: skip
    if fmt == "docx":
        return web.Response(body=body, content_type=FORMATS[fmt], headers=headers)
    return web.Response(body=body, content_type=FORMATS[fmt], charset="utf-8", headers=headers)


def render(fmt: str, title: str, state: bytes, with_comments: bool) -> bytes:
    """The export file's bytes (CPU work, run in a thread)."""
    ydoc = doc_from_state(state)
    content = read_doc(ydoc)
    threads = list_threads(ydoc) if with_comments else None
    if fmt == "docx":
        # Imported here, not at start-up: python-docx (with lxml) holds about 8 MB that only this export needs.
        from collab.export import docx

        return docx.render(title, content, threads)
    text = markdown.render(title, content, threads) if fmt == "md" else html.render(title, content, threads)
    return text.encode("utf-8")
