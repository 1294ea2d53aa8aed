"""Where a note or score sits in the lesson: its segment on the agenda, and its moment on the server's clock.

Which venue was main at that moment comes from ``venues.api`` (the hand-off log).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import AgendaSegment
from server.context import AppContext
from server.errors import NotFound


async def segment_title(session: AsyncSession, room_id: str, segment_id: str) -> str | None:
    row = await session.get(AgendaSegment, segment_id)
    return row.title if row is not None and row.room_id == room_id else None


async def check_segment(ctx: AppContext, room_id: str, segment_id: str) -> None:
    """A room with an agenda only takes its own segment ids; a room without one takes any id but
    another room's agenda segment (segment ids are global)."""
    async with ctx.db.session() as session:
        row = await session.get(AgendaSegment, segment_id)
        if row is not None:
            if row.room_id == room_id:
                return
            raise NotFound(f"segment {segment_id} is not in this room", code="segment_not_found")
        has_agenda = await session.scalar(
            select(AgendaSegment.id).where(AgendaSegment.room_id == room_id).limit(1)
        )
    if has_agenda is not None:
        raise NotFound(f"segment {segment_id} is not on the room's agenda", code="segment_not_found")


def program_time(server_now: float, at: float | None, client_now: float | None, *, max_age: float) -> float:
    """The moment a note refers to, on the server's clock.

    Offline clients send ``at`` (their clock when the note was written) and ``client_now`` (their clock
    when it was sent); the difference is the note's age, which does not depend on the client's clock
    being right. Without ``client_now`` a given ``at`` is trusted when it is not in the future. Ages are
    capped at ``max_age`` so a wrong clock cannot move a note days away.
    """
    if at is None:
        return server_now
    if client_now is not None:
        age = min(max(client_now - at, 0.0), max_age)
        return server_now - age
    return min(at, server_now) if at >= server_now - max_age else server_now - max_age
