"""The one definition of an attendance line: present time, the activity's length, the ratio and hours.

Every report (an activity's attendance, a teacher's summary, the district dashboard, the exports) reads
its lines through :func:`lines`, so they cannot disagree on who counted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import Room
from server.models import User
from studios.records.models import Attendance
from studios.records.spans import HoursRule


@dataclass(frozen=True)
class Line:
    room_id: str
    title: str
    user_id: int
    name: str
    school: str
    role: str
    first_join: float
    last_leave: float | None  # None while still present
    present: float  # seconds, reconnects merged
    length: float  # seconds of the activity
    ratio: float
    counted: bool
    hours: float


def present_now(a: Attendance, now: float) -> float:
    """Present seconds up to ``now``: a line still open grew since it was last written."""
    return a.present_seconds + (max(0.0, now - a.updated_at) if a.last_leave is None else 0.0)


def activity_length(starts_at: float | None, ends_at: float | None, observed: tuple[float, float]) -> float:
    """The scheduled length when the room has both times, else from the first join to the last leave."""
    if starts_at is not None and ends_at is not None and ends_at > starts_at:
        return ends_at - starts_at
    return max(0.0, observed[1] - observed[0])


async def lines(
    s: AsyncSession,
    rule: HoursRule,
    now: float,
    *,
    room_ids: Collection[str] | None = None,
    user_id: int | None = None,
    since: float | None = None,
    until: float | None = None,
) -> list[Line]:
    """Attendance lines, filtered by rooms, teacher and first join in [since, until)."""
    q = (
        select(Attendance, Room.title, Room.starts_at, Room.ends_at, User.display_name)
        .join(Room, Room.id == Attendance.room_id)
        .join(User, User.id == Attendance.user_id)
    )
    if room_ids is not None:
        q = q.where(Attendance.room_id.in_(list(room_ids)))
    if user_id is not None:
        q = q.where(Attendance.user_id == user_id)
    if since is not None:
        q = q.where(Attendance.first_join >= since)
    if until is not None:
        q = q.where(Attendance.first_join < until)
    rows = (await s.execute(q.order_by(Attendance.first_join, Attendance.user_id))).all()
    observed = await _observed(s, {r[0].room_id for r in rows}, now)
    out = []
    for a, title, starts_at, ends_at, name in rows:
        present = present_now(a, now)
        length = activity_length(starts_at, ends_at, observed.get(a.room_id, (a.first_join, now)))
        out.append(
            Line(a.room_id, title, a.user_id, name, a.school, a.role, a.first_join, a.last_leave, present,
                 length, rule.ratio(present, length), rule.counts(present, length), rule.hours(present, length))
        )  # fmt: skip
    return out


async def _observed(s: AsyncSession, room_ids: set[str], now: float) -> dict[str, tuple[float, float]]:
    """Per room: first join and last leave of anyone (now while someone is still there)."""
    if not room_ids:
        return {}
    out: dict[str, tuple[float, float]] = {}
    ids = sorted(room_ids)
    for i in range(0, len(ids), 500):  # bounded IN lists
        q = (
            select(
                Attendance.room_id,
                func.min(Attendance.first_join),
                func.max(func.coalesce(Attendance.last_leave, now)),
            )
            .where(Attendance.room_id.in_(ids[i : i + 500]))
            .group_by(Attendance.room_id)
        )
        for room_id, first, last in (await s.execute(q)).all():
            out[room_id] = (float(first), float(last))
    return out
