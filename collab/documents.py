"""REST for a room's lesson-plan documents: list, create (template or blank), rename, soft delete, undelete."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from collab.api import DELETED_CHANNEL, LIVE_DOCS, LiveDocuments
from collab.models import Document, DocUpdate
from collab.template import initial_state
from rooms.api import Action, Role, authorize
from server.api import ApiRoutes, Query, json_response, read_json
from server.auth.tokens import Principal
from server.context import ctx_of
from server.db import now
from server.errors import NotFound, Unavailable
from server.http import principal_of

log = logging.getLogger(__name__)

routes = ApiRoutes("collab")


class DocOut(BaseModel):
    id: str
    room_id: str
    title: str
    created_by: int
    created_at: float
    updated_at: float
    deleted_at: float | None = None


class DocCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    template: Literal["lesson_plan", "blank"] = "lesson_plan"


class DocPatch(BaseModel):
    title: str = Field(min_length=1, max_length=200)


def doc_out(doc: Document) -> DocOut:
    return DocOut(id=doc.id, room_id=doc.room_id, title=doc.title, created_by=doc.created_by,
                  created_at=doc.created_at, updated_at=doc.updated_at, deleted_at=doc.deleted_at)  # fmt: skip


@dataclass
class DocAccess:
    doc: Document
    role: Role
    principal: Principal


async def doc_access(request: web.Request, action: Action, *, allow_deleted: bool = False) -> DocAccess:
    """Load ``{doc_id}`` and check the caller may do ``action`` in its room (404 for deleted documents)."""
    principal = principal_of(request)
    db = ctx_of(request).db
    doc_id = request.match_info["doc_id"]
    async with db.session() as session:
        doc = await session.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"document {doc_id} not found", code="doc_not_found")
    role = await authorize(db, principal, doc.room_id, action)
    if doc.deleted_at is not None and not allow_deleted:
        raise NotFound(f"document {doc_id} was deleted", code="doc_deleted")
    return DocAccess(doc, role, principal)


def live_docs(request: web.Request) -> LiveDocuments:
    live = request.app.get(LIVE_DOCS)
    if live is None:
        raise Unavailable("live documents are not available", code="collab_unavailable")
    return live


@routes.route("GET", "/api/rooms/{room_id}/docs", summary="List a room's documents", response=DocOut,
              response_list=True, query={"deleted": Query("1 to list deleted documents instead (needs doc.delete)",
                                           Literal["0", "1"], default="0")})  # fmt: skip
async def list_docs(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    deleted = request.query.get("deleted") == "1"
    db = ctx_of(request).db
    await authorize(db, principal_of(request), room_id, Action.DOC_DELETE if deleted else Action.DOC_VIEW)
    async with db.session() as session:
        query = select(Document).where(Document.room_id == room_id)
        query = query.where(Document.deleted_at.is_not(None) if deleted else Document.deleted_at.is_(None))
        docs = list(await session.scalars(query.order_by(Document.created_at)))
    return json_response([doc_out(d) for d in docs])


@routes.route("POST", "/api/rooms/{room_id}/docs", summary="Create a document from the lesson-plan template "
              "or blank", body=DocCreate, response=DocOut, status=201)  # fmt: skip
async def create_doc(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    principal = principal_of(request)
    db = ctx_of(request).db
    await authorize(db, principal, room_id, Action.DOC_CREATE)
    body = await read_json(request, DocCreate)
    stamp = now()
    doc = Document(id=uuid.uuid4().hex[:16], room_id=room_id, title=body.title.strip(),
                   created_by=principal.user_id, created_at=stamp, updated_at=stamp)  # fmt: skip
    async with db.transaction() as session:
        session.add(doc)
        # The initial content is the document's first logged update, written with the row: the live
        # server loads it like any other update, and no client can open the document before it exists.
        session.add(DocUpdate(doc_id=doc.id, data=initial_state(body.template), created_at=stamp))
    log.info("doc %s: created in room %s by user %s (%s)", doc.id, room_id, principal.user_id, body.template)
    return json_response(doc_out(doc), status=201)


@routes.route("GET", "/api/docs/{doc_id}", summary="A document's metadata", response=DocOut)
async def get_doc(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_VIEW)
    return json_response(doc_out(access.doc))


@routes.route("PATCH", "/api/docs/{doc_id}", summary="Rename a document", body=DocPatch, response=DocOut)
async def rename_doc(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_EDIT)
    body = await read_json(request, DocPatch)
    async with ctx_of(request).db.transaction() as session:
        doc = await session.get(Document, access.doc.id)
        assert doc is not None
        doc.title = body.title.strip()
        doc.updated_at = now()
    return json_response(doc_out(doc))


@routes.route("DELETE", "/api/docs/{doc_id}", summary="Delete a document (recoverable)", response=DocOut)
async def delete_doc(request: web.Request) -> web.Response:
    return await _set_deleted(request, True)


@routes.route("POST", "/api/docs/{doc_id}/undelete", summary="Recover a deleted document", response=DocOut)
async def undelete_doc(request: web.Request) -> web.Response:
    return await _set_deleted(request, False)


async def _set_deleted(request: web.Request, deleted: bool) -> web.Response:
    access = await doc_access(request, Action.DOC_DELETE, allow_deleted=True)
    async with ctx_of(request).db.transaction() as session:
        doc = await session.get(Document, access.doc.id)
        assert doc is not None
        if deleted and doc.deleted_at is None:
            doc.deleted_at = now()
        elif not deleted:
            doc.deleted_at = None
    log.info("doc %s: %s by user %s", doc.id, "deleted" if deleted else "undeleted", access.principal.user_id)
    if deleted:  # open connections would keep writing to it: every process closes its own
        await ctx_of(request).bus.publish(DELETED_CHANNEL, doc.id.encode())
    return json_response(doc_out(doc))
