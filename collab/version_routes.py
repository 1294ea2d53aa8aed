"""REST for versions (第一稿 …), diff and restore."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from collab.api import RESTORE_LOCKS
from collab.diff import diff_docs, diff_text
from collab.documents import doc_access, live_docs
from collab.models import DocVersion
from collab.prosemirror import Node, read_state
from collab.sections import plain_text
from collab.versions import get_version, list_versions, restore_version, save_version
from rooms.api import Action
from server.api import ApiRoutes, Query, json_response, read_json
from server.context import ctx_of
from server.errors import BadRequest

routes = ApiRoutes("collab")


class VersionOut(BaseModel):
    id: str
    doc_id: str
    number: int
    name: str
    created_by: int
    created_at: float
    restored_from: str | None = None


class VersionContent(VersionOut):
    content: dict[str, Any]
    text: str


class VersionCreate(BaseModel):
    name: str | None = Field(default=None, max_length=100)


class DiffOut(BaseModel):
    sections: list[dict[str, Any]]
    text: str


def version_out(v: DocVersion) -> VersionOut:
    return VersionOut(id=v.id, doc_id=v.doc_id, number=v.number, name=v.name, created_by=v.created_by,
                      created_at=v.created_at, restored_from=v.restored_from)  # fmt: skip


@routes.route("GET", "/api/docs/{doc_id}/versions", summary="List saved versions", response=VersionOut,
              response_list=True)  # fmt: skip
async def versions_list(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_VIEW)
    return json_response([version_out(v) for v in await list_versions(ctx_of(request).db, access.doc.id)])


@routes.route("POST", "/api/docs/{doc_id}/versions", summary="Save the current content as a named version "
              "(default 第N稿)", body=VersionCreate, response=VersionOut, status=201)  # fmt: skip
async def versions_save(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.VERSION_SAVE)
    body = VersionCreate()
    if request.can_read_body:
        body = await read_json(request, VersionCreate)
    state = await live_docs(request).state(access.doc.id)
    version = await save_version(
        ctx_of(request).db, access.doc.id, state, access.principal.user_id, body.name
    )
    return json_response(version_out(version), status=201)


@routes.route("GET", "/api/docs/{doc_id}/versions/{version_id}", summary="A version's content as "
              "ProseMirror JSON and plain text", response=VersionContent)  # fmt: skip
async def versions_get(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_VIEW)
    version = await get_version(ctx_of(request).db, access.doc.id, request.match_info["version_id"])
    content = read_state(version.state)
    out = VersionContent(**version_out(version).model_dump(), content=content, text=plain_text(content))
    return json_response(out)


@routes.route("POST", "/api/docs/{doc_id}/versions/{version_id}/restore", summary="Make the live document "
              "that version's content (recorded as a new version)", response=VersionOut, status=201)  # fmt: skip
async def versions_restore(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.VERSION_RESTORE)
    db = ctx_of(request).db
    version = await get_version(db, access.doc.id, request.match_info["version_id"])
    async with request.app[RESTORE_LOCKS].hold(db, access.doc.id):
        restored = await restore_version(
            db, live_docs(request), access.doc.id, version, access.principal.user_id
        )
    return json_response(version_out(restored), status=201)


@routes.route("GET", "/api/docs/{doc_id}/diff", summary="Added/removed text per section between two "
              "versions", response=DiffOut, query={"from": Query("version id", required=True),
              "to": Query("version id or `current`", default="current")}, errors=((BadRequest, "missing_from"),))  # fmt: skip
async def versions_diff(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_VIEW)
    source = request.query.get("from")
    if not source:
        raise BadRequest("query parameter `from` is required", code="missing_from")
    old = await _content(request, access.doc.id, source)
    new = await _content(request, access.doc.id, request.query.get("to") or "current")
    sections = diff_docs(old, new)
    return json_response(DiffOut(sections=sections, text=diff_text(sections)))


async def _content(request: web.Request, doc_id: str, ref: str) -> Node:
    if ref == "current":
        return read_state(await live_docs(request).state(doc_id))
    return read_state((await get_version(ctx_of(request).db, doc_id, ref)).state)
