"""Which venue was main when: read from the hand-off log (``venues.models.Handoff``), every change of
the program source with its time. A room that never had a hand-off (no venue controller in use) has
no timeline.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from rooms.api import Venue
from server.context import AppContext
from venues.models import Handoff


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


class MainStretch(BaseModel):
    """A stretch of a timeline during which one venue was main (``venue_id`` ``None``: the slate)."""

    start: float  # seconds from the timeline's origin
    end: float
    venue_id: str | None
    venue_name: str | None


def on_air(
    changes: list[tuple[float, str | None]], origin: float, until: float, names: dict[str, str]
) -> list[MainStretch]:
    """Cut ``[origin, until]`` into stretches by the program changes ``(time, new main venue)``, in time
    order. Before the first change that anyone knows of nothing was on air, so no stretch is made."""
    out: list[MainStretch] = []
    for i, (at, venue) in enumerate(changes):
        ends = changes[i + 1][0] if i + 1 < len(changes) else until
        start, end = max(at, origin), min(ends, until)
        if end > start:
            name = names.get(venue) if venue is not None else None
            out.append(MainStretch(start=start - origin, end=end - origin, venue_id=venue, venue_name=name))
    return out


async def main_venues(ctx: AppContext, room_id: str, origin: float, until: float) -> list[MainStretch]:
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
