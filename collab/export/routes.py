"""``GET /api/docs/{doc_id}/export?format=md|html|docx&version=&comments=1``."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from collab.comments import list_threads
from collab.documents import doc_access, live_docs
from collab.export import docx, html, markdown
from collab.prosemirror import doc_from_state, read_doc
from collab.versions import get_version
from rooms.permissions import Action
from server.api import ApiRoutes
from server.context import ctx_of
from server.errors import BadRequest

routes = ApiRoutes("collab")

FORMATS = {"md": "text/markdown", "html": "text/html", "docx": docx.MEDIA_TYPE}


@routes.route("GET", "/api/docs/{doc_id}/export", summary="Export the lesson plan (or a version)",
              content_type="application/octet-stream",
              query={"format": "md | html | docx", "version": "version id (default: the live document)",
                     "comments": "1 to include comment threads"})  # fmt: skip
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
    ydoc = doc_from_state(state)
    content = read_doc(ydoc)
    threads = list_threads(ydoc) if request.query.get("comments") == "1" else None
    filename = quote(f"{title}.{fmt}")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"}
    if fmt == "docx":
        return web.Response(body=docx.render(title, content, threads), content_type=FORMATS[fmt],
                            headers=headers)  # fmt: skip
    render = markdown.render if fmt == "md" else html.render
    return web.Response(text=render(title, content, threads), content_type=FORMATS[fmt], charset="utf-8",
                        headers=headers)  # fmt: skip
