"""Chat storage: a message is committed before anyone hears of it; ``client_id`` makes sends idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import ChatMessage, Room, VoiceNote
from rooms.schemas import MessageOut
from rooms.views import message_out
from server.db import Database, now
from server.errors import Conflict, NotFound

TAIL = 50
PAGE_MAX = 200


async def _find(db: Database, room_id: str, user_id: int, client_id: str) -> MessageOut | None:
    async with db.session() as session:
        return await _find_in(session, room_id, user_id, client_id)


async def _find_in(session: AsyncSession, room_id: str, user_id: int, client_id: str) -> MessageOut | None:
    row = (
        await session.execute(
            select(ChatMessage, VoiceNote.duration)
            .outerjoin(VoiceNote, VoiceNote.id == ChatMessage.voice_id)
            .where(
                ChatMessage.room_id == room_id,
                ChatMessage.user_id == user_id,
                ChatMessage.client_id == client_id,
            )
        )
    ).first()
    return message_out(row[0], row[1]) if row else None


async def existing_or_open(db: Database, room_id: str, user_id: int, client_id: str) -> MessageOut | None:
    """The message this author already sent with ``client_id`` (a retry), if any; otherwise the room must be
    open — an archived room is read-only: its history stays, nothing new is said in it. One session."""
    async with db.session() as session:
        found = await _find_in(session, room_id, user_id, client_id)
        if found is None:
            archived = await session.scalar(select(Room.archived_at).where(Room.id == room_id))
            if archived is not None:
                raise Conflict("the room is archived", code="room_archived")
    return found


async def store(
    db: Database,
    *,
    room_id: str,
    user_id: int,
    author_name: str,
    client_id: str,
    text: str = "",
    kind: str = "text",
    voice_id: str | None = None,
    voice_duration: float | None = None,
    looked_up: bool = False,
) -> tuple[MessageOut, bool]:
    """Persist one message; returns it and whether it is new (False: same client_id sent before).

    ``looked_up``: the caller just checked :func:`existing_or_open` (the unique index still catches races)."""
    if not looked_up:
        found = await _find(db, room_id, user_id, client_id)
        if found is not None:
            return found, False
    msg = ChatMessage(
        room_id=room_id, user_id=user_id, author_name=author_name[:64], client_id=client_id, kind=kind,
        text=text, voice_id=voice_id, created_at=now(),
    )  # fmt: skip
    try:
        async with db.transaction() as session:
            session.add(msg)
    except IntegrityError:
        # The same client_id raced in on another connection or process: return the winner.
        found = await _find(db, room_id, user_id, client_id)
        if found is None:
            raise
        return found, False
    return message_out(msg, voice_duration), True


async def page(
    db: Database, room_id: str, *, before: int | None, limit: int
) -> tuple[list[MessageOut], bool]:
    """Messages older than ``before`` (newest page when None), returned oldest first; ``more`` if older exist."""
    async with db.session() as session:
        return await page_in(session, room_id, before=before, limit=limit)


async def page_in(
    session: AsyncSession, room_id: str, *, before: int | None, limit: int
) -> tuple[list[MessageOut], bool]:
    """:func:`page` inside a session the caller already holds."""
    q = (
        select(ChatMessage, VoiceNote.duration)
        .outerjoin(VoiceNote, VoiceNote.id == ChatMessage.voice_id)
        .where(ChatMessage.room_id == room_id)
    )
    if before is not None:
        q = q.where(ChatMessage.id < before)
    q = q.order_by(ChatMessage.id.desc()).limit(limit + 1)
    rows = (await session.execute(q)).all()
    more = len(rows) > limit
    return [message_out(m, d) for m, d in reversed(rows[:limit])], more


async def soft_delete(db: Database, room_id: str, message_id: int, by_user: int) -> MessageOut:
    async with db.transaction() as session:
        msg = await session.get(ChatMessage, message_id)
        if msg is None or msg.room_id != room_id:
            raise NotFound(f"message {message_id} not found", code="message_not_found")
        if msg.deleted_at is None:
            msg.deleted_at = now()
            msg.deleted_by = by_user
    return message_out(msg)
