"""REST of the library: list and search a studio's items, upload files, add what its rooms produced, change,
publish and delete items, and read their files (HTTP ranges). Public links are in ``public_routes``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from server.api import ApiRoutes, Query, json_response, read_json
from server.auth.tokens import Principal
from server.context import ctx_of
from server.errors import (
    Conflict,
    Forbidden,
    NotFound,
    StorageFull,
    TooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from server.http import principal_of
from studios.access import authorize_studio
from studios.library import files, items, sources
from studios.library.api import SEARCH
from studios.library.models import Kind, LibraryItem
from studios.library.schemas import FromRoom, ItemOut, ItemPage, ItemPatch
from studios.permissions import StudioAction, studio_allowed

routes = ApiRoutes("library")

KINDS = tuple(k.value for k in Kind)


def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name}: must be an integer") from None
    if not low <= value <= high:
        raise ValidationError(f"{name}: must be within {low}..{high}")
    return value


@routes.route("GET", "/api/studios/{studio_id}/library", summary="The studio's resources: filter, search, page",
              response=ItemPage,
              query={"q": "words of the title, tags or text (Chinese without spaces is fine)",
                     "kind": Query("item kind", choices=KINDS), "subject": "subject", "grade": "grade",
                     "tag": "one tag", "cycle_id": "one lesson-study cycle",
                     "limit": Query("page size", int, default=50, minimum=1, maximum=items.PAGE_MAX),
                     "offset": Query("items to skip", int, default=0, minimum=0)},
              errors=(ValidationError,))  # fmt: skip
async def list_items(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    role = await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.LIBRARY_VIEW)
    kind = request.query.get("kind", "")
    if kind and kind not in KINDS:
        raise ValidationError(f"kind: one of {', '.join(KINDS)}")
    q = request.query
    f = items.Filters(q=q.get("q", "")[:200], kind=kind, subject=q.get("subject", ""), grade=q.get("grade", ""),
                      tag=q.get("tag", ""), cycle_id=q.get("cycle_id", ""),
                      limit=_query_int(request, "limit", 50, 1, items.PAGE_MAX),
                      offset=_query_int(request, "offset", 0, 0, 10**9))  # fmt: skip
    found, total = await items.find(ctx.db, request.app[SEARCH], studio_id, f)
    page = ItemPage(items=await items.out(ctx.db, found), total=total, facets=await items.facets(ctx.db, studio_id),
                    can_add=studio_allowed(role, StudioAction.LIBRARY_ADD),
                    can_manage=studio_allowed(role, StudioAction.LIBRARY_MANAGE))  # fmt: skip
    return json_response(page)


@routes.route("POST", "/api/studios/{studio_id}/library/files",
              summary="Upload a file (PPT/PPTX… see docs: PDF, PPTX, DOCX, PNG, JPEG, GIF, WebP); its bytes "
                      "decide its type, the name's extension must agree",
              response=ItemOut, status=201, request_content_type="application/octet-stream",
              query={"filename": Query("the file's name, with its extension", required=True),
                     "title": "title (default: the name without extension)", "tags": "comma-separated tags",
                     "cycle_id": "the lesson-study cycle it belongs to", "subject": "default: the studio's",
                     "grade": "default: the studio's grade band", "description": "a line about it"},
              errors=(TooLarge, StorageFull, (UnsupportedMediaType, "unsupported_type"),
                      (UnsupportedMediaType, "type_mismatch")))  # fmt: skip
async def upload(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.LIBRARY_ADD)
    q = request.query
    filename = Path(q.get("filename", "").replace("\\", "/")).name.strip()
    if not 1 <= len(filename) <= 200:
        raise ValidationError("filename: 1–200 characters required", code="bad_filename")
    # cheap refusal first: a name no accepted type has is turned away before any of the body is read
    if files.extension_of(filename) not in {e for t in files.UPLOAD_TYPES for e in t.extensions}:
        raise UnsupportedMediaType(f"the library accepts {files.ACCEPTED} files", code="unsupported_type",
                                   details={"accepted": [t.label for t in files.UPLOAD_TYPES]})  # fmt: skip
    received = await files.receive(request, ctx.settings.data_dir, ctx.settings.library_max_bytes)
    try:
        if received.size == 0:
            raise ValidationError("the file is empty", code="empty_file")
        kind = files.check_type(filename, received.head, received.part)
        stored = files.new_stored_name(kind.ext)
        new = items.NewItem(
            studio_id=studio_id, kind=Kind.FILE, title=(q.get("title") or filename.rsplit(".", 1)[0]).strip()[:200],
            filename=filename, stored=stored, content_type=kind.mime, size=received.size, created_by=p.user_id,
            cycle_id=q.get("cycle_id") or None, subject=q.get("subject"), grade=q.get("grade"),
            description=q.get("description", "")[:4000], tags=q.get("tags", "").split(","),
        )  # fmt: skip
        await received.commit(stored)
    except BaseException:
        await received.discard()
        raise
    try:
        item = await items.create(ctx.db, request.app[SEARCH], new)
    except BaseException:
        await files.remove(ctx.settings.data_dir, stored)  # no row, no item: the file would be an orphan
        raise
    return json_response((await items.out(ctx.db, [item]))[0], status=201)


@routes.route("POST", "/api/studios/{studio_id}/library/items",
              summary="Add what one of the studio's rooms produced: a plan's final version, a recording, "
                      "an evaluation report, a voice note", body=FromRoom, response=ItemOut, status=201,
              errors=((ValidationError, "room_not_in_studio"), (Conflict, "recording_running"), StorageFull))  # fmt: skip
async def add_from_room(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.LIBRARY_ADD)
    body = await read_json(request, FromRoom)
    new = await sources.from_room(request.app, ctx, p, studio_id, body)
    try:
        item = await items.create(ctx.db, request.app[SEARCH], new)
    except BaseException:
        await files.remove(ctx.settings.data_dir, new.stored)
        raise
    return json_response((await items.out(ctx.db, [item]))[0], status=201)


async def _visible(request: web.Request) -> tuple[LibraryItem, Principal]:
    ctx = ctx_of(request)
    p = principal_of(request)
    item = await items.get(ctx.db, request.match_info["item_id"])
    await authorize_studio(ctx.db, p, item.studio_id, StudioAction.LIBRARY_VIEW)
    return item, p


@routes.route("GET", "/api/library/{item_id}", summary="One resource", response=ItemOut)
async def get_item(request: web.Request) -> web.Response:
    item, _ = await _visible(request)
    return json_response((await items.out(ctx_of(request).db, [item]))[0])


async def _may_change(request: web.Request, item: LibraryItem, p: Principal) -> bool:
    """Studio hosts and core members change any item, others only their own; True when the caller manages."""
    role = await authorize_studio(ctx_of(request).db, p, item.studio_id, StudioAction.LIBRARY_VIEW)
    if studio_allowed(role, StudioAction.LIBRARY_MANAGE):
        return True
    if item.created_by == p.user_id and studio_allowed(role, StudioAction.LIBRARY_ADD):
        return False
    raise Forbidden("only its author or the studio's host and core members may change this item",
                    code="forbidden", details={"action": StudioAction.LIBRARY_MANAGE.value})  # fmt: skip


@routes.route("PATCH", "/api/library/{item_id}", summary="Change a resource (visibility: hosts and core "
              "members; public gives it a read-only link, members revokes it)", body=ItemPatch, response=ItemOut)  # fmt: skip
async def patch_item(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = principal_of(request)
    item = await items.get(ctx.db, request.match_info["item_id"])
    manages = await _may_change(request, item, p)
    body = await read_json(request, ItemPatch)
    if body.visibility is not None and body.visibility != item.visibility and not manages:
        raise Forbidden("only the studio's host and core members publish resources", code="forbidden",
                        details={"action": StudioAction.LIBRARY_MANAGE.value})  # fmt: skip
    item = await items.update(ctx.db, request.app[SEARCH], item.id, body)
    return json_response((await items.out(ctx.db, [item]))[0])


@routes.route("DELETE", "/api/library/{item_id}", summary="Delete a resource and its file", status=204)
async def delete_item(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = principal_of(request)
    item = await items.get(ctx.db, request.match_info["item_id"])
    await _may_change(request, item, p)
    await items.remove(ctx.db, request.app[SEARCH], ctx.settings.data_dir, item)
    return web.Response(status=204)


@routes.route("GET", "/api/library/{item_id}/file", content_type="application/octet-stream",
              summary="The resource's file (HTTP range requests; ?t= from /api/url-token for media elements; "
                      "?download=1 to save it)",
              query={"download": Query("1: as an attachment", choices=("0", "1"), default="0")})  # fmt: skip
async def item_file(request: web.Request) -> web.StreamResponse:
    item, _ = await _visible(request)
    return file_response(request, item)


def file_response(request: web.Request, item: LibraryItem) -> web.StreamResponse:
    """The item's bytes with ranges (aiohttp's FileResponse: ``Range``, ``If-Range``, 206/416)."""
    path = files.library_dir(ctx_of(request).settings.data_dir) / item.stored
    if not path.is_file():
        raise NotFound("the resource's file is missing", code="file_not_found")
    disposition = "attachment" if request.query.get("download") == "1" else "inline"
    ascii_name = f"resource.{files.extension_of(item.filename) or 'bin'}"
    headers = {
        "Content-Type": item.content_type,
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff",  # the stored type, checked on upload, is the only one
        "Cache-Control": "private, max-age=3600",
    }
    return web.FileResponse(path, headers=headers)
