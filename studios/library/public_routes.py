"""Public links (成果展示): read-only, no login. An item is reachable by its token while it is public; a
studio's showcase lists only its public items."""

from __future__ import annotations

from aiohttp import web

from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.db import Database
from server.errors import NotFound
from studios.library import items
from studios.library.api import SEARCH
from studios.library.models import LibraryItem
from studios.library.routes import file_response
from studios.library.schemas import PublicItemOut
from studios.models import Studio

routes = ApiRoutes("library")
SHOWCASE_MAX = 100


async def _public(db: Database, rows: list[LibraryItem]) -> list[PublicItemOut]:
    outs = await items.out(db, rows)
    names: dict[str, str] = {}
    async with db.session() as session:
        for studio_id in {r.studio_id for r in rows}:
            studio = await session.get(Studio, studio_id)
            names[studio_id] = studio.name if studio else ""
    return [
        PublicItemOut(
            title=o.title,
            kind=o.kind,
            subject=o.subject,
            grade=o.grade,
            description=o.description,
            tags=o.tags,
            filename=o.filename,
            content_type=o.content_type,
            size=o.size,
            studio=names[o.studio_id],
            created_at=o.created_at,
            token=r.public_token or "",
            file_url=f"/api/public/library/{r.public_token}/file",
        )  # fmt: skip
        for o, r in zip(outs, rows, strict=True)
    ]


@routes.route("GET", "/api/public/library/{token}", summary="A public resource (read-only link, no login)",
              response=PublicItemOut, auth=False)  # fmt: skip
async def public_item(request: web.Request) -> web.Response:
    db = ctx_of(request).db
    item = await items.by_token(db, request.match_info["token"])
    return json_response((await _public(db, [item]))[0])


@routes.route("GET", "/api/public/library/{token}/file", summary="A public resource's file (HTTP ranges)",
              content_type="application/octet-stream", auth=False)  # fmt: skip
async def public_file(request: web.Request) -> web.StreamResponse:
    item = await items.by_token(ctx_of(request).db, request.match_info["token"])
    return file_response(request, item)


@routes.route("GET", "/api/public/studios/{studio_id}/library", summary="A studio's showcase: its public "
              "resources, newest first (no login)", response=PublicItemOut, response_list=True, auth=False)  # fmt: skip
async def showcase(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    async with ctx.db.session() as session:
        if await session.get(Studio, studio_id) is None:
            raise NotFound(f"studio {studio_id} not found", code="studio_not_found")
    rows, _ = await items.find(ctx.db, request.app[SEARCH], studio_id,
                               items.Filters(public_only=True, limit=SHOWCASE_MAX))  # fmt: skip
    return json_response(await _public(ctx.db, rows))
