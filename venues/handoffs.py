"""The hand-off audit: every change of the program source, and how long it took to happen on the wire.

The list doubles as the event's record: which venue was main when (``on_air_until``, read from
:class:`venues.timeline.Timeline`) — the recording's segments.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import update

from media.api import CutResult
from server.db import Database
from venues.models import Handoff
from venues.state import Transition
from venues.timeline import Timeline, handoff_rows


class HandoffOut(BaseModel):
    id: int
    room_id: str
    epoch: int
    kind: str
    actor_id: int | None
    from_venue: str | None
    to_venue: str | None  # null: the slate
    requested_at: float
    switched: bool | None  # null: the wire has not reported yet
    switched_at: float | None
    switch_ms: float | None
    on_air_until: float | None  # when the next change went on air (null: still on air, or never was)


async def record(db: Database, t: Transition) -> int:
    """Store a hand-off at the moment it was decided; returns its id."""
    row = Handoff(
        room_id=t.after.room_id,
        epoch=t.after.epoch,
        kind=t.command.kind.value,
        actor_id=t.command.actor,
        from_venue=t.before.program,
        to_venue=t.after.program,
        requested_at=t.after.updated_at,
    )
    async with db.transaction() as session:
        session.add(row)
        await session.flush()
        return row.id


async def finish(db: Database, handoff_id: int, result: CutResult, now: float) -> None:
    """Note when (and whether) the switch happened on the wire; ``now`` is the cluster clock's reading."""
    async with db.transaction() as session:
        await session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id)
            .values(
                switched=result.switched,
                switch_seconds=result.seconds,
                switched_at=now if result.switched else None,
            )
        )


async def list_for_room(db: Database, room_id: str) -> list[HandoffOut]:
    rows = await handoff_rows(db, room_id)
    timeline = Timeline.of(rows)
    out: list[HandoffOut] = []
    for h in rows:
        ms = round(h.switch_seconds * 1000, 1) if h.switch_seconds is not None else None
        out.append(
            HandoffOut(
                id=h.id,
                room_id=h.room_id,
                epoch=h.epoch,
                kind=h.kind,
                actor_id=h.actor_id,
                from_venue=h.from_venue,
                to_venue=h.to_venue,
                requested_at=h.requested_at,
                switched=h.switched,
                switched_at=h.switched_at,
                switch_ms=ms,
                on_air_until=timeline.until(h.id),
            )
        )
    return out
