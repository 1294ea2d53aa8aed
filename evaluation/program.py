"""Where the live program was at a moment: the one place that stamps notes with the main venue and
checks lesson segments against the agenda.

The main venue at a moment comes from the venue controller's hand-off log (``rooms.program_models.Handoff``:
every change of the program source, with its time). A room that never had a hand-off (no venue controller
in use) keeps the client's own stamp.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import AgendaSegment, Venue
from rooms.program_models import Handoff
from server.context import AppContext
from server.errors import NotFound


async def main_venue_at(ctx: AppContext, room_id: str, at: float, client_venue: str | None) -> str | None:
    """The venue that was main in ``room_id`` at UNIX time ``at`` (``None``: the slate or nothing on air)."""
    async with ctx.db.session() as session:
        any_handoff = await session.scalar(select(Handoff.id).where(Handoff.room_id == room_id).limit(1))
        if any_handoff is None:
            return client_venue
        last = await session.scalar(
            select(Handoff)
            .where(Handoff.room_id == room_id, Handoff.requested_at <= at, Handoff.switched.is_not(False))
            .order_by(Handoff.requested_at.desc(), Handoff.epoch.desc())
            .limit(1)
        )
    return last.to_venue if last is not None else None


class OnAir(BaseModel):
    """A stretch of a timeline during which one venue was main (``venue_id`` ``None``: the slate)."""

    start: float  # seconds from the timeline's origin
    end: float
    venue_id: str | None
    venue_name: str | None


def on_air(
    changes: list[tuple[float, str | None]], origin: float, until: float, names: dict[str, str]
) -> list[OnAir]:
    """Cut ``[origin, until]`` into stretches by the program changes ``(time, new main venue)``, in time
    order. Before the first change that anyone knows of nothing was on air, so no stretch is made."""
    out: list[OnAir] = []
    for i, (at, venue) in enumerate(changes):
        ends = changes[i + 1][0] if i + 1 < len(changes) else until
        start, end = max(at, origin), min(ends, until)
        if end > start:
            name = names.get(venue) if venue is not None else None
            out.append(OnAir(start=start - origin, end=end - origin, venue_id=venue, venue_name=name))
    return out


async def main_venues(ctx: AppContext, room_id: str, origin: float, until: float) -> list[OnAir]:
    """Which venue was main when, between two UNIX times, from the hand-off log: a change counts from
    when it happened on the wire (when that is known), since that is when the program picture changed."""
    async with ctx.db.session() as session:
        rows = (
            await session.scalars(
                select(Handoff)
                .where(Handoff.room_id == room_id, Handoff.switched.is_not(False))
                .order_by(Handoff.epoch)
            )
        ).all()
        names = dict(
            (await session.execute(select(Venue.id, Venue.name).where(Venue.room_id == room_id)))
            .tuples()
            .all()
        )
    changes = sorted(((h.switched_at or h.requested_at, h.to_venue) for h in rows), key=lambda c: c[0])
    return on_air(changes, origin, until, names)


async def segment_title(session: AsyncSession, room_id: str, segment_id: str) -> str | None:
    row = await session.get(AgendaSegment, segment_id)
    return row.title if row is not None and row.room_id == room_id else None


async def check_segment(ctx: AppContext, room_id: str, segment_id: str) -> None:
    """A room with an agenda only takes its own segment ids; a room without one takes any id."""
    async with ctx.db.session() as session:
        if await segment_title(session, room_id, segment_id) is not None:
            return
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
