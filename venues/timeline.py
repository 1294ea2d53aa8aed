"""Which venue was main when: the one definition, read from the hand-off log (``venues.models.Handoff``).

A hand-off changes the program picture when it happens on the wire: at ``switched_at`` when the wire
reported it, else at ``requested_at`` (not reported yet, or logged before the wire could answer). A cut
that failed on the wire (``switched`` false) changed nothing anyone saw, so it is not on the timeline.
Notes are stamped from it, the replay draws it, and the REST audit's ``on_air_until`` is read from it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import select

from media.api import SCREEN_PREFIX, is_screen
from rooms.api import Venue
from server.db import Database
from server.errors import NotFound
from server.models import User
from venues.models import Handoff


class MainStretch(BaseModel):
    """A stretch of a timeline during which one venue was main (``venue_id`` ``None``: the slate)."""

    start: float  # seconds from the timeline's origin
    end: float
    venue_id: str | None
    venue_name: str | None


@dataclass(frozen=True)
class Change:
    """The program picture changed to ``venue_id`` (``None``: the slate) at UNIX time ``at``."""

    at: float
    venue_id: str | None
    handoff_id: int


@dataclass(frozen=True)
class Timeline:
    """The changes of one room's program in time order; ``controlled`` once it has any hand-off."""

    changes: tuple[Change, ...]
    controlled: bool

    @classmethod
    def of(cls, rows: Sequence[Handoff]) -> Timeline:
        """Build it from the room's hand-off rows (in any order). The epochs are the order: one room's
        cuts go on the wire one after another, so a change is placed after the one before it even when
        its stamp says otherwise (stamps of two processes whose clocks disagreed)."""
        changes: list[Change] = []
        for h in sorted((h for h in rows if h.switched is not False), key=lambda h: h.epoch):
            at = max(_on_wire(h), changes[-1].at) if changes else _on_wire(h)
            changes.append(Change(at, h.to_venue, h.id))
        return cls(tuple(changes), controlled=bool(rows))

    def main_at(self, at: float) -> str | None:
        """The venue that was main at ``at`` (``None``: the slate, or nothing on air yet)."""
        i = bisect.bisect_right([c.at for c in self.changes], at)
        return self.changes[i - 1].venue_id if i else None

    def until(self, handoff_id: int) -> float | None:
        """When what ``handoff_id`` put on air went off it (``None``: still on air, or never was)."""
        ids = [c.handoff_id for c in self.changes]
        if handoff_id not in ids:
            return None
        i = ids.index(handoff_id) + 1
        return self.changes[i].at if i < len(self.changes) else None

    def stretches(self, origin: float, until: float, names: dict[str, str]) -> list[MainStretch]:
        return on_air([(c.at, c.venue_id) for c in self.changes], origin, until, names)


def _on_wire(h: Handoff) -> float:
    return h.switched_at if h.switched_at is not None else h.requested_at


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


async def handoff_rows(db: Database, room_id: str) -> list[Handoff]:
    """The room's hand-off log in epoch order."""
    async with db.session() as session:
        return list(
            await session.scalars(select(Handoff).where(Handoff.room_id == room_id).order_by(Handoff.epoch))
        )


async def timeline(db: Database, room_id: str) -> Timeline:
    return Timeline.of(await handoff_rows(db, room_id))


async def main_venue_at(db: Database, room_id: str, at: float, client_venue: str | None) -> str | None:
    """The venue that was main in ``room_id`` at UNIX time ``at``; a room that never had a hand-off (no
    venue controller in use) keeps ``client_venue``, the client's own stamp. Venue ids are global: naming
    another room's venue is refused (``NotFound``) rather than stored as this room's."""
    if client_venue is not None:
        async with db.session() as session:
            venue = await session.get(Venue, client_venue)
        if venue is not None and venue.room_id != room_id:
            raise NotFound(f"venue {client_venue} is not in this room", code="venue_not_found")
    t = await timeline(db, room_id)
    return t.main_at(at) if t.controlled else client_venue


async def main_venues(db: Database, room_id: str, origin: float, until: float) -> list[MainStretch]:
    """Which venue was main when between two UNIX times, as stretches from ``origin``, with venue names
    (a shared screen on the program, ``screen:<user_id>``: 课件演示 and the sharer's name)."""
    t = await timeline(db, room_id)
    async with db.session() as session:
        rows = await session.execute(select(Venue.id, Venue.name).where(Venue.room_id == room_id))
        names = dict(rows.tuples().all())
        sharers = {int(c.venue_id[len(SCREEN_PREFIX) :]) for c in t.changes if is_screen(c.venue_id)}
        if sharers:
            people = await session.execute(select(User.id, User.display_name).where(User.id.in_(sharers)))
            names.update({f"{SCREEN_PREFIX}{uid}": f"课件演示（{name}）" for uid, name in people.tuples()})
    return t.stretches(origin, until, names)
