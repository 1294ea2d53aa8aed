"""Chat storage and chat modes: a message is committed before anyone hears of it; ``client_id`` makes sends
idempotent.

Chat modes keep a crowd's chat readable: **slow mode** (each person one message per ``slow_seconds``) and
**moderator-only** (only those who may ``chat.moderate`` write). They are columns of the room, so every
process and every late joiner reads the same mode (``chat.mode`` in the ``room:join`` state, ``chat:mode``
when it changes), and :func:`admit` applies them to text and voice alike. Slow mode counts in
:class:`~server.ratelimit.RateLimits` (Redis when the deployment runs on several processes), so two tabs or
two processes cannot both slip a message into one interval.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import ChatMessage, Room, VoiceNote
from rooms.permissions import Action, Role, allowed
from rooms.schemas import MessageOut
from rooms.views import message_out
from server.db import Database, now
from server.errors import Conflict, Forbidden, NotFound, RateLimited
from server.ratelimit import Limit, RateLimits

TAIL = 50
PAGE_MAX = 200
SLOW_MAX = 600  # seconds: the longest slow-mode interval a moderator may set


@dataclass(frozen=True)
class ChatMode:
    """A room's chat mode: ``slow_seconds`` 0 is off; ``moderated``: only moderators write."""

    slow_seconds: int = 0
    moderated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mode_of(room: Room) -> ChatMode:
    return ChatMode(slow_seconds=room.chat_slow_seconds or 0, moderated=bool(room.chat_moderated))


async def set_mode(
    db: Database, room_id: str, *, slow_seconds: int | None, moderated: bool | None
) -> ChatMode:
    """Change the given parts of the room's chat mode (None keeps a part); an archived room keeps its own."""
    async with db.transaction() as session:
        room = await session.get(Room, room_id, with_for_update=True)
        if room is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        if room.archived_at is not None:
            raise Conflict("the room is archived", code="room_archived")
        if slow_seconds is not None:
            room.chat_slow_seconds = slow_seconds
        if moderated is not None:
            room.chat_moderated = moderated
        return mode_of(room)


async def admit(limits: RateLimits, mode: ChatMode, role: Role, room_id: str, user_id: int) -> None:
    """Refuse a new message the room's mode does not allow now (moderators are never held back):
    403 ``chat_moderated``, or 429 ``chat_slow`` with ``details: {slow_seconds, retry_after}``."""
    if allowed(role, Action.CHAT_MODERATE):
        return
    if mode.moderated:
        raise Forbidden("only moderators may write in the chat now", code="chat_moderated")
    if mode.slow_seconds:
        limit = Limit("chat_slow", 1, mode.slow_seconds)
        if not await limits.hit(limit, room_id, str(user_id)):
            wait = min(mode.slow_seconds, await limits.retry_after(limit, room_id, str(user_id)))
            raise RateLimited(
                f"slow mode: one message every {mode.slow_seconds} seconds; wait {wait} s",
                code="chat_slow",
                details={"slow_seconds": mode.slow_seconds, "retry_after": wait},
                retry_after=wait,
            )


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


async def existing_or_open(
    db: Database, room_id: str, user_id: int, client_id: str
) -> tuple[MessageOut | None, ChatMode]:
    """The message this author already sent with ``client_id`` (a retry), if any; otherwise the room must be
    open — an archived room is read-only: its history stays, nothing new is said in it — and its chat mode
    (for :func:`admit`). One session."""
    async with db.session() as session:
        return await _existing_or_open_in(session, room_id, user_id, client_id)


async def _existing_or_open_in(
    session: AsyncSession, room_id: str, user_id: int, client_id: str
) -> tuple[MessageOut | None, ChatMode]:
    found = await _find_in(session, room_id, user_id, client_id)
    row = (
        await session.execute(
            select(Room.archived_at, Room.chat_slow_seconds, Room.chat_moderated).where(Room.id == room_id)
        )
    ).first()
    mode = (
        ChatMode(slow_seconds=row.chat_slow_seconds or 0, moderated=bool(row.chat_moderated))
        if row
        else ChatMode()
    )
    if found is None and row is not None and row.archived_at is not None:
        raise Conflict("the room is archived", code="room_archived")
    return found, mode


async def post_text(
    db: Database,
    check: Callable[[ChatMode], Awaitable[None]],
    *,
    room_id: str,
    user_id: int,
    author_name: str,
    client_id: str,
    text: str,
) -> tuple[MessageOut, bool]:
    """A text message in one transaction: the retry lookup and the room's mode (as :func:`existing_or_open`),
    ``check(mode)`` (the mode and rate refusals, which raise), the insert and the commit. Returns the
    message and whether it is new. Committed before it returns: a message acknowledged survives a crash.

    One connection checkout and one commit per send: in a crowd every round trip of a send delays the
    broadcast of the messages behind it (``bench/room_fanout.py``)."""
    msg = ChatMessage(
        room_id=room_id, user_id=user_id, author_name=author_name[:64], client_id=client_id, kind="text",
        text=text, created_at=now(),
    )  # fmt: skip
    try:
        async with db.transaction() as session:
            found, mode = await _existing_or_open_in(session, room_id, user_id, client_id)
            if found is not None:
                return found, False
            await check(mode)
            session.add(msg)
    except IntegrityError:
        # The same client_id raced in on another connection or process: return the winner.
        winner = await _find(db, room_id, user_id, client_id)
        if winner is None:
            raise
        return winner, False
    return message_out(msg), True


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
