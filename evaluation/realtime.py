"""Socket.IO side of evaluation: ``note:add`` / ``note:share`` and the live pushes.

Events (client → server, answered through the ack, or an ``error`` event without one; validation and
flood control by ``server.realtime``; membership is checked against the database, so joining first is not required):
  ``note:add {room_id, client_id, text, kind?, criterion?, segment_id?, venue_id?, at?, client_now?, shared?}``
      → ``{ok, note, created}``; a retry with the same ``client_id`` returns the stored note.
  ``note:share {room_id, note_id}`` → ``{ok, note}``.
Server → client:
  ``note:shared {room_id, note}`` to ``room:{room_id}`` when a note becomes visible or a shared one changes;
  ``eval:aggregate {room_id, segment_id, ...}`` to ``room:{room_id}:mod`` on every change of a segment;
  ``eval:segment {room_id, segment_id, closed, closed_at, evaluations}`` to ``room:{room_id}`` on close/reopen.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from evaluation import notes, scores, summary
from rooms.api import Action, authorize, mod_channel, room_channel
from server.context import AppContext
from server.realtime import Reply, principal_of_sid

log = logging.getLogger(__name__)


async def broadcast_note(ctx: AppContext, note: notes.NoteOut) -> None:
    await ctx.sio.emit(
        "note:shared",
        {"room_id": note.room_id, "note": note.model_dump(mode="json")},
        room=room_channel(note.room_id),
    )


async def push_aggregate(ctx: AppContext, room_id: str, segment_id: str | None) -> None:
    """Send the segment's fresh aggregation to the room's host and moderators."""
    if segment_id is None:
        return
    data = await summary.load(ctx, room_id, segment_id)
    await ctx.sio.emit("eval:aggregate", data.summary.model_dump(mode="json"), room=mod_channel(room_id))


async def push_all(ctx: AppContext, room_id: str) -> None:
    """After a room-wide change (rubric version, anonymous mode): every segment's aggregation."""
    for segment in await scores.segments(ctx, room_id):
        await push_aggregate(ctx, room_id, segment.segment_id)


async def push_segment(ctx: AppContext, room_id: str, segment: dict[str, object]) -> None:
    """Tell the whole room that a segment's evaluation closed or reopened (forms lock or unlock)."""
    await ctx.sio.emit("eval:segment", {"room_id": room_id, **segment}, room=room_channel(room_id))


class ShareIn(BaseModel):
    room_id: str = Field(max_length=32)
    note_id: str = Field(max_length=32)


class AddIn(notes.NoteIn):
    room_id: str = Field(max_length=32)


def install(ctx: AppContext) -> None:
    sio = ctx.sio

    @ctx.realtime.event("note:add", AddIn)
    async def note_add(sid: str, body: AddIn) -> Reply:
        principal = await principal_of_sid(sio, sid)
        await authorize(ctx.db, principal, body.room_id, Action.NOTE_WRITE)
        note, created = await notes.add(ctx, body.room_id, principal.user_id, body)
        if created and note.shared:
            await broadcast_note(ctx, note)
            await push_aggregate(ctx, note.room_id, note.segment_id)
        return {"note": note.model_dump(mode="json"), "created": created}

    @ctx.realtime.event("note:share", ShareIn)
    async def note_share(sid: str, body: ShareIn) -> Reply:
        principal = await principal_of_sid(sio, sid)
        await authorize(ctx.db, principal, body.room_id, Action.NOTE_WRITE)
        patch = notes.NotePatch(shared=True)
        note, _ = await notes.update(ctx, body.room_id, body.note_id, principal.user_id, patch)
        await broadcast_note(ctx, note)
        await push_aggregate(ctx, note.room_id, note.segment_id)
        return {"note": note.model_dump(mode="json")}
