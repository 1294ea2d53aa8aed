"""Items made from what a studio room produced: a lesson plan's final version (exported as DOCX), a recording,
an evaluation report (PDF or DOCX), a voice note. The caller needs the room permission the room's own route
asks for (export, watch, manage evaluation, view), and the room must be one of the studio's."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from aiohttp import web

from collab.api import LIVE_DOCS
from collab.export.routes import DOCX_TYPE, render
from collab.models import Document
from collab.prosemirror import doc_from_state, read_doc
from collab.sections import plain_text
from collab.versions import get_version
from evaluation import report, report_html
from media.api import RECORDINGS
from rooms.api import Action, Room, VoiceNote, authorize, voice_dir
from server.auth.tokens import Principal
from server.context import AppContext
from server.errors import Conflict, NotFound, Unavailable, ValidationError
from studios.library import files
from studios.library.items import NewItem
from studios.library.models import Kind
from studios.library.schemas import FromRoom
from studios.models import StudioRoom

REPORT_TYPES = {"pdf": "application/pdf", "docx": DOCX_TYPE}


async def studio_room(ctx: AppContext, studio_id: str, room_id: str) -> StudioRoom:
    async with ctx.db.session() as session:
        link = await session.get(StudioRoom, room_id)
    if link is None or link.studio_id != studio_id:
        raise ValidationError("room_id: not a room of this studio", code="room_not_in_studio")
    return link


async def from_room(
    app: web.Application, ctx: AppContext, principal: Principal, studio_id: str, body: FromRoom
) -> NewItem:
    """The new item (its file already stored) for ``body``; the caller stores the row."""
    link = await studio_room(ctx, studio_id, body.room_id)
    base = NewItem(studio_id=studio_id, kind=Kind(body.kind), title="", filename="", stored="", content_type="",
                   size=0, created_by=principal.user_id, room_id=body.room_id, cycle_id=link.cycle_id,
                   tags=body.tags)  # fmt: skip
    if body.kind == "plan":
        await _plan(app, ctx, principal, link, body, base)
    elif body.kind == "recording":
        await _recording(app, ctx, principal, body, base)
    elif body.kind == "report":
        await _report(ctx, principal, body, base)
    else:
        await _voice(ctx, principal, body, base)
    if body.title:
        base.title = body.title
    return base


def _need(value: str | None, name: str, kind: str) -> str:
    if not value:
        raise ValidationError(f"{name}: required for a {kind}", code="missing_source")
    return value


async def _plan(app: web.Application, ctx: AppContext, principal: Principal, link: StudioRoom, body: FromRoom,
                item: NewItem) -> None:  # fmt: skip
    doc_id = _need(body.doc_id or link.doc_id, "doc_id", "plan")
    async with ctx.db.session() as session:
        doc = await session.get(Document, doc_id)
    if doc is None or doc.room_id != body.room_id or doc.deleted_at is not None:
        raise NotFound(f"document {doc_id} not found in this room", code="doc_not_found")
    await authorize(ctx.db, principal, body.room_id, Action.DOC_EXPORT)
    version_id = body.version_id or (link.final_version_id if doc_id == link.doc_id else None)
    title = doc.title
    if version_id:
        version = await get_version(ctx.db, doc_id, version_id)
        state, title = version.state, f"{doc.title}（{version.name}）"
    else:
        live = app.get(LIVE_DOCS)
        if live is None:
            raise Unavailable("live documents are not available", code="collab_unavailable")
        state = await live.state(doc_id)
    data = await asyncio.to_thread(render, "docx", title, state, False)
    item.content_text = await asyncio.to_thread(lambda: plain_text(read_doc(doc_from_state(state))))
    item.title, item.filename, item.source_id = title, f"{title}.docx", version_id or doc_id
    await _store_bytes(ctx.settings.data_dir, item, data, DOCX_TYPE, "docx")


async def _recording(app: web.Application, ctx: AppContext, principal: Principal, body: FromRoom,
                     item: NewItem) -> None:  # fmt: skip
    service = app[RECORDINGS]
    row = await service.get(_need(body.recording_id, "recording_id", "recording"))
    if row.room_id != body.room_id:
        raise NotFound("recording not found in this room", code="recording_not_found")
    await authorize(ctx.db, principal, body.room_id, Action.MEDIA_WATCH)
    if row.status == "recording":
        raise Conflict("the recording is still running: stop it first", code="recording_running")
    path = service.file_of(row)
    if not path.is_file():
        raise NotFound("the recording has no file", code="file_not_found")
    async with ctx.db.session() as session:
        room = await session.get(Room, body.room_id)
    item.title = f"课堂实录：{room.title if room else body.room_id}"
    item.filename, item.source_id = f"recording-{row.id}.webm", row.id
    await _link(ctx.settings.data_dir, item, path, row.content_type, "webm")


async def _report(ctx: AppContext, principal: Principal, body: FromRoom, item: NewItem) -> None:
    segment_id = _need(body.segment_id, "segment_id", "report")
    await authorize(ctx.db, principal, body.room_id, Action.EVALUATION_MANAGE)
    rep = await report.build(ctx, body.room_id, segment_id)
    page = report_html.render(rep)
    if body.format == "pdf":
        from evaluation import report_pdf

        data = await report_pdf.html_to_pdf(page)
    else:
        from evaluation import report_docx

        data = await asyncio.to_thread(report_docx.render, rep)
    item.title = f"评课报告：{rep.room_title} · {rep.segment_title or segment_id}"
    item.filename, item.source_id = f"{item.title}.{body.format}", segment_id
    item.content_text = html_text(page)
    await _store_bytes(ctx.settings.data_dir, item, data, REPORT_TYPES[body.format], body.format)


async def _voice(ctx: AppContext, principal: Principal, body: FromRoom, item: NewItem) -> None:
    voice_id = _need(body.voice_id, "voice_id", "voice note")
    async with ctx.db.session() as session:
        note = await session.get(VoiceNote, voice_id)
    if note is None or note.room_id != body.room_id:
        raise NotFound("voice note not found in this room", code="voice_not_found")
    await authorize(ctx.db, principal, body.room_id, Action.ROOM_VIEW)
    ext = note.filename.rsplit(".", 1)[-1]
    item.title, item.filename, item.source_id = (
        f"语音留言 {note.duration:.0f}″",
        f"voice-{note.id}.{ext}",
        note.id,
    )
    await _link(
        ctx.settings.data_dir, item, voice_dir(ctx.settings.data_dir) / note.filename, note.content_type, ext
    )


_TAGS = re.compile(r"<(style|script)\b.*?</\1>|<[^>]+>", re.S | re.I)


def html_text(page: bytes) -> str:
    """The words of a rendered report (for search): markup, styles and scripts removed."""
    return " ".join(html.unescape(_TAGS.sub(" ", page.decode("utf-8", "replace"))).split())


async def _store_bytes(data_dir: Path, item: NewItem, data: bytes, mime: str, ext: str) -> None:
    item.stored, item.content_type, item.size = files.new_stored_name(ext), mime, len(data)
    await files.write_bytes(data_dir, item.stored, data)


async def _link(data_dir: Path, item: NewItem, source: Path, mime: str, ext: str) -> None:
    item.stored, item.content_type = files.new_stored_name(ext), mime
    await files.link_in(data_dir, source, item.stored)
    item.size = (files.library_dir(data_dir) / item.stored).stat().st_size
