"""REST for comments: the server writes them into the document's ``"comments"`` map for the caller.

Experts may comment but not edit the text, so their WebSocket is read-only; this is their way in.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, model_validator

from collab.anchors import unb64
from collab.comments import comment_on_state, set_resolved, threads_of_state
from collab.documents import doc_access, live_docs
from collab.prosemirror import doc_from_state
from collab.suggestions import accept_on_state
from rooms.api import Action
from server.api import ApiRoutes, json_response, read_json
from server.errors import ValidationError

routes = ApiRoutes("collab")


class AnchorIn(BaseModel):
    start: str = Field(description="base64 of Y.encodeRelativePosition (first character, assoc 0)")
    end: str = Field(description="base64 of Y.encodeRelativePosition (last character, assoc 0)")


class CommentCreate(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    thread: str | None = Field(default=None, description="reply to this thread")
    anchor: AnchorIn | None = None
    section: str | None = Field(default=None, max_length=200, description="anchor to this section …")
    quote: str | None = Field(default=None, max_length=2000, description="… and this text inside it")
    suggestion: str | None = Field(default=None, max_length=5000, description="proposed replacement text for "
                                   "the anchored range (accepted with PATCH {accept: true})")  # fmt: skip

    @model_validator(mode="after")
    def _one_target(self) -> CommentCreate:
        if self.thread is None and self.anchor is None and not self.section:
            raise ValueError("a new comment needs `anchor` or `section` (or `thread` for a reply)")
        return self


class CommentPatch(BaseModel):
    resolved: bool | None = Field(default=None, description="resolve (true) or reopen (false) the thread")
    accept: bool = Field(default=False, description="accept the thread's suggestion (needs doc.edit)")

    @model_validator(mode="after")
    def _one_change(self) -> CommentPatch:
        if self.resolved is None and not self.accept:
            raise ValueError("give `resolved` or `accept: true`")
        return self


class CommentOut(BaseModel):
    comment: dict[str, Any]


class ThreadsOut(BaseModel):
    comments: list[dict[str, Any]]


@routes.route("GET", "/api/docs/{doc_id}/comments", summary="Comment threads with their current anchor "
              "positions", response=ThreadsOut)  # fmt: skip
async def comments_list(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.DOC_VIEW)
    state = await live_docs(request).state(access.doc.id)
    return json_response(ThreadsOut(comments=await asyncio.to_thread(threads_of_state, state)))


@routes.route("POST", "/api/docs/{doc_id}/comments", summary="Add a comment or a reply", body=CommentCreate,
              response=CommentOut, status=201)  # fmt: skip
async def comments_add(request: web.Request) -> web.Response:
    access = await doc_access(request, Action.COMMENT_WRITE)
    body = await read_json(request, CommentCreate)
    live = live_docs(request)
    anchor: tuple[bytes, bytes] | None = None
    try:
        if body.thread is None and body.anchor is not None:
            anchor = (unb64(body.anchor.start), unb64(body.anchor.end))
        state = await live.state(access.doc.id)
        entry, update = await asyncio.to_thread(
            comment_on_state, state, text=body.text, author_id=access.principal.user_id,
            author_name=access.principal.name, section=body.section, quote=body.quote, anchor=anchor,
            thread=body.thread, suggestion=body.suggestion,
        )  # fmt: skip
    except ValueError as exc:
        raise ValidationError(str(exc), code="bad_anchor") from None
    await live.apply_update(access.doc.id, update, origin=f"rest:comment:{access.principal.user_id}")
    return json_response(CommentOut(comment=entry), status=201)


@routes.route("PATCH", "/api/docs/{doc_id}/comments/{comment_id}", summary="Resolve or reopen a thread, or "
              "accept its suggestion", body=CommentPatch, response=ThreadsOut)  # fmt: skip
async def comments_patch(request: web.Request) -> web.Response:
    body = await read_json(request, CommentPatch)
    access = await doc_access(request, Action.DOC_EDIT if body.accept else Action.COMMENT_WRITE)
    live = live_docs(request)
    state = await live.state(access.doc.id)
    who = (access.principal.user_id, access.principal.name)
    comment_id = request.match_info["comment_id"]
    if body.accept:
        update = await asyncio.to_thread(accept_on_state, state, comment_id, *who)
    else:
        assert body.resolved is not None
        update = set_resolved(doc_from_state(state), comment_id, body.resolved, *who)
    await live.apply_update(access.doc.id, update, origin=f"rest:comment:{access.principal.user_id}")
    state = await live.state(access.doc.id)
    return json_response(ThreadsOut(comments=await asyncio.to_thread(threads_of_state, state)))
