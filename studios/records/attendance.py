"""The one definition of an attendance line: present time, the activity's length, the ratio and hours.

Every report (an activity's attendance, a teacher's summary, the district dashboard, the exports) reads
its lines through :func:`lines`, so they cannot disagree on who counted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
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


def present_now(present: float, last_leave: float | None, updated_at: float, now: float) -> float:
    """Present seconds up to ``now``: a line still open grew since it was last written."""
    return present + (max(0.0, now - updated_at) if last_leave is None else 0.0)


def activity_length(starts_at: float | None, ends_at: float | None, observed: tuple[float, float]) -> float:
    """The scheduled length when the room has both times, else from the first join to the last leave."""
    if starts_at is not None and ends_at is not None and ends_at > starts_at:
        return ends_at - starts_at
    return max(0.0, observed[1] - observed[0])


def lines_query(
    *,
    room_ids: Collection[str] | None = None,
    user_id: int | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Select[*tuple[Any, ...]]:
    """The query behind :func:`lines` (also what ``bench/records.py`` EXPLAINs); plain columns, no ORM
    objects: the dashboard reads every line of the district."""
    a = Attendance
    q = (
        select(
            a.room_id,
            a.user_id,
            a.school,
            a.role,
            a.first_join,
            a.last_leave,
            a.present_seconds,
            a.updated_at,
            Room.title,
            Room.starts_at,
            Room.ends_at,
            User.display_name,
        )  # fmt: skip
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
    return q.order_by(Attendance.first_join, Attendance.user_id)


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
    q = lines_query(room_ids=room_ids, user_id=user_id, since=since, until=until)
    rows = (await s.execute(q)).all()
    observed = await _observed(s, {r[0] for r in rows}, now)
    out = []
    for (
        room_id,
        user_id,
        school,
        role,
        first,
        last,
        present_s,
        updated,
        title,
        starts_at,
        ends_at,
        name,
    ) in rows:
        present = present_now(present_s, last, updated, now)
        length = activity_length(starts_at, ends_at, observed.get(room_id, (first, now)))
        out.append(
            Line(room_id, title, user_id, name, school, role, first, last, present,
                 length, rule.ratio(present, length), rule.counts(present, length), rule.hours(present, length))
        )  # fmt: skip
    return out


class Tally(NamedTuple):
    """The part of a :class:`Line` the district dashboard counts (a tuple: there are 100,000 of them)."""

    room_id: str
    user_id: int
    school: str
    hours: float


def tally_query(*, since: float | None = None, until: float | None = None) -> Select[*tuple[Any, ...]]:
    """Every line of the district with only what the dashboard needs (no names, no order)."""
    a = Attendance
    q = select(a.room_id, a.user_id, a.school, a.first_join, a.last_leave, a.present_seconds, a.updated_at,
               Room.starts_at, Room.ends_at).join(Room, Room.id == a.room_id)  # fmt: skip
    if since is not None:
        q = q.where(a.first_join >= since)
    if until is not None:
        q = q.where(a.first_join < until)
    return q


async def tallies(
    s: AsyncSession, rule: HoursRule, now: float, *, since: float | None = None, until: float | None = None
) -> list[Tally]:
    """:func:`lines` for the whole district, lighter: the same present time, length and hours rule."""
    rows = (await s.execute(tally_query(since=since, until=until))).all()
    observed = await _observed(s, {r[0] for r in rows}, now)
    lengths: dict[str, float] = {}
    out = []
    for room_id, user_id, school, first, last, present_s, updated, starts_at, ends_at in rows:
        length = lengths.get(room_id)
        if length is None:
            length = lengths[room_id] = activity_length(
                starts_at, ends_at, observed.get(room_id, (first, now))
            )
        present = present_s if last is not None else present_now(present_s, last, updated, now)
        out.append(Tally(room_id, user_id, school, rule.hours(present, length)))
    return out


def observed_query(room_ids: list[str], now: float) -> Select[str, float, float]:
    """Per room: first join and last leave of anyone (``now`` while someone is still there)."""
    return (
        select(Attendance.room_id, func.min(Attendance.first_join), func.max(func.coalesce(Attendance.last_leave, now)))
        .where(Attendance.room_id.in_(room_ids))
        .group_by(Attendance.room_id)
    )  # fmt: skip


async def _observed(s: AsyncSession, room_ids: set[str], now: float) -> dict[str, tuple[float, float]]:
    """Per room: first join and last leave of anyone (now while someone is still there)."""
    if not room_ids:
        return {}
    out: dict[str, tuple[float, float]] = {}
    ids = sorted(room_ids)
    for i in range(0, len(ids), 500):  # bounded IN lists
        for room_id, first, last in (await s.execute(observed_query(ids[i : i + 500], now))).all():
            out[room_id] = (float(first), float(last))
    return out
