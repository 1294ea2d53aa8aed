"""REST: chat history paging, voice-note upload and playback."""

from __future__ import annotations

from aiohttp import web

from rooms import chat
from rooms.api import ROOM_EVENTS, VOICE_CHECKER
from rooms.membership import authorize
from rooms.models import VoiceNote
from rooms.notify import room_channel
from rooms.permissions import Action
from rooms.schemas import ChatPage, MessageOut
from rooms.voice import container_for, remove_clip, save_clip, voice_dir
from server.api import ApiRoutes, Query, json_response
from server.context import ctx_of
from server.db import now
from server.errors import NotFound, RateLimited, StorageFull, ValidationError
from server.http import principal_of, read_body

routes = ApiRoutes("rooms")
MAX_ID = 2**63 - 1


def _int(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name}: must be an integer") from None
    if not 1 <= value <= MAX_ID:  # the database's integers are 64-bit: a bigger one fails there
        raise ValidationError(f"{name}: must be within 1..{MAX_ID}")
    return value


@routes.route("GET", "/api/rooms/{room_id}/chat", summary="Chat history, newest page first, oldest first "
              "inside a page", response=ChatPage,
              query={"before": Query("message id: return older messages", int, minimum=1, maximum=MAX_ID),
                     "limit": Query("page size", int, default=chat.TAIL, minimum=1, maximum=chat.PAGE_MAX)},
              errors=(ValidationError,))  # fmt: skip
async def chat_history(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    room_id = request.match_info["room_id"]
    await authorize(ctx.db, principal_of(request), room_id, Action.ROOM_VIEW)
    limit = _int(request, "limit", chat.TAIL)
    if limit is None or not 1 <= limit <= chat.PAGE_MAX:
        raise ValidationError(f"limit: must be within 1..{chat.PAGE_MAX}")
    messages, more = await chat.page(ctx.db, room_id, before=_int(request, "before", None), limit=limit)
    return json_response(ChatPage(room_id=room_id, messages=messages, more=more))


@routes.route("POST", "/api/rooms/{room_id}/voice", summary="Upload a voice note; it appears in chat",
              response=MessageOut, status=201, request_content_type="audio/*",
              query={"client_id": "client-generated id: a retried upload returns the same message"},
              errors=((RateLimited, "voice_busy"), StorageFull, ValidationError, (ValidationError, "not_audio")))  # fmt: skip
async def upload_voice(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    s = ctx.settings
    room_id = request.match_info["room_id"]
    p = principal_of(request)
    role = await authorize(ctx.db, p, room_id, Action.VOICE_SEND)
    client_id = request.query.get("client_id", "")
    if not 1 <= len(client_id) <= 64:
        raise ValidationError("client_id: 1–64 characters required")
    again, mode = await chat.existing_or_open(ctx.db, room_id, p.user_id, client_id)
    if again is not None:
        return json_response(again)
    # Cheap refusals first: nothing of the body is read before its type is accepted and the caller is
    # within the chat mode and rate, so a flood of uploads is turned away without reading or decoding any.
    container = container_for(request.content_type)
    await chat.admit(ctx.limits, mode, role, room_id, p.user_id)
    await request.app[ROOM_EVENTS].check_chat_rate(p.user_id)
    data = await read_body(request, s.rooms_voice_max_bytes, what="a voice note")
    duration = await request.app[VOICE_CHECKER].duration(data, container)
    voice_id, filename = await save_clip(s.data_dir, data, container.ext)
    try:
        async with ctx.db.transaction() as session:
            session.add(VoiceNote(id=voice_id, room_id=room_id, user_id=p.user_id, content_type=container.mime,
                                  size=len(data), duration=duration, filename=filename, created_at=now()))  # fmt: skip
    except Exception:
        await remove_clip(s.data_dir, filename)  # no row, no note: the file would be an orphan
        raise
    msg, new = await chat.store(
        ctx.db, room_id=room_id, user_id=p.user_id, author_name=p.name, client_id=client_id, kind="voice",
        voice_id=voice_id, voice_duration=duration, looked_up=True,
    )  # fmt: skip
    if new:
        await ctx.sio.emit("chat:message", msg.model_dump(), room=room_channel(room_id))
    return json_response(msg, status=201 if new else 200)


@routes.route("GET", "/api/voice/{voice_id}", summary="Play a voice note (a media element passes ?t= from /api/url-token)",
              content_type="audio/*")  # fmt: skip
async def get_voice(request: web.Request) -> web.StreamResponse:
    ctx = ctx_of(request)
    voice_id = request.match_info["voice_id"]
    async with ctx.db.session() as session:
        note = await session.get(VoiceNote, voice_id)
    if note is None:
        raise NotFound("voice note not found", code="voice_not_found")
    await authorize(ctx.db, principal_of(request), note.room_id, Action.ROOM_VIEW)
    path = voice_dir(ctx.settings.data_dir) / note.filename
    if not path.exists():
        raise NotFound("voice note file is missing", code="voice_not_found")
    return web.FileResponse(
        path, headers={"Content-Type": note.content_type, "Cache-Control": "private, max-age=86400"}
    )
