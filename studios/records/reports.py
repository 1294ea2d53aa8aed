"""What the records pages and exports show: one activity's attendance, one teacher's summary, the district
dashboard. Read-only; every number of attendance comes from :func:`studios.records.attendance.lines`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.models import Evaluation, Note
from rooms.api import ChatMessage, Member, Room, Venue
from server.models import User
from studios.records.attendance import Line, Tally, lines, tallies
from studios.records.models import SeatSpan, Stay
from studios.records.spans import HoursRule, clip, merge, total
from studios.records.studio_link import District


class RuleOut(BaseModel):
    min_ratio: float
    credit: str
    step: float


class SpanOut(BaseModel):
    start: float
    end: float | None  # None: still there


class PersonOut(BaseModel):
    user_id: int
    name: str
    school: str
    member_role: str | None  # their role in the room (None: joined by a studio role or no longer a member)
    roles: list[str]  # roles they were in while present
    venues: list[str]  # venue names they attended from
    stays: list[SpanOut]  # merged across reconnects, tabs and processes
    present_seconds: float
    ratio: float
    counted: bool
    hours: float
    notes: int
    scores: int
    chat_messages: int
    seat_seconds: float


class ActivityOut(BaseModel):
    room_id: str
    title: str
    starts_at: float | None
    ends_at: float | None
    length_seconds: float
    rule: RuleOut
    people: list[PersonOut]


class LineOut(BaseModel):
    room_id: str
    title: str
    first_join: float
    last_leave: float | None
    present_seconds: float
    length_seconds: float
    ratio: float
    counted: bool
    hours: float
    role: str
    school: str


class TeacherOut(BaseModel):
    user_id: int
    name: str
    school: str
    since: float | None
    until: float | None
    rule: RuleOut
    activities: int
    counted: int
    hours: float
    present_seconds: float
    lines: list[LineOut]


class CountsOut(BaseModel):
    key: str  # studio id or school name ("" = unknown)
    name: str
    activities: int
    attendances: int
    teachers: int
    hours: float
    resources: int


class DashboardOut(BaseModel):
    since: float | None
    until: float | None
    rule: RuleOut
    totals: CountsOut
    studios: list[CountsOut]
    schools: list[CountsOut]


def rule_out(rule: HoursRule) -> RuleOut:
    return RuleOut(min_ratio=rule.min_ratio, credit=rule.credit.value, step=rule.step)


async def _count_by_user(
    s: AsyncSession, column: Any, room_col: Any, room_id: str, *extra: Any
) -> dict[int, int]:
    q = select(column, func.count()).where(room_col == room_id, *extra).group_by(column)
    return {int(u): int(n) for u, n in (await s.execute(q)).all()}


async def activity(
    s: AsyncSession, room: Room, rule: HoursRule, gap: float, now: float, *, only: int | None = None
) -> ActivityOut:
    """Who joined the activity, when, from where, in which roles, and what they contributed; ``only``
    restricts it to one teacher (a member looking at their own line)."""
    rid = room.id
    by_user = {ln.user_id: ln for ln in await lines(s, rule, now, room_ids=[rid], user_id=only)}
    stays_q = select(Stay).where(Stay.room_id == rid).order_by(Stay.joined_at)
    members_q = select(Member.user_id, Member.role).where(Member.room_id == rid)
    if only is not None:
        stays_q, members_q = stays_q.where(Stay.user_id == only), members_q.where(Member.user_id == only)
    stays = (await s.scalars(stays_q)).all()
    members = {int(u): r for u, r in (await s.execute(members_q)).all()}
    venues = {v.id: v.name for v in (await s.scalars(select(Venue).where(Venue.room_id == rid))).all()}
    users = set(members) | set(by_user)
    names = {
        u.id: (u.display_name, u.school)
        for u in (await s.scalars(select(User).where(User.id.in_(sorted(users))))).all()
    } if users else {}  # fmt: skip
    notes = await _count_by_user(s, Note.author_id, Note.room_id, rid)
    scores = await _count_by_user(s, Evaluation.observer_id, Evaluation.room_id, rid)
    chats = await _count_by_user(
        s, ChatMessage.user_id, ChatMessage.room_id, rid, ChatMessage.deleted_at.is_(None)
    )
    seat_spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for sp in (await s.scalars(select(SeatSpan).where(SeatSpan.room_id == rid))).all():
        seat_spans[sp.user_id].append((sp.started_at, sp.ended_at if sp.ended_at is not None else now))
    per_user: dict[int, list[Stay]] = defaultdict(list)
    for st in stays:
        per_user[st.user_id].append(st)
    length = next(iter(by_user.values())).length if by_user else 0.0
    people = []
    for uid in sorted(
        users, key=lambda u: (u not in by_user, by_user[u].first_join if u in by_user else 0, u)
    ):
        mine = per_user.get(uid, [])
        ln = by_user.get(uid)
        open_ = any(st.left_at is None for st in mine)
        spans = merge([(st.joined_at, st.left_at if st.left_at is not None else now) for st in mine], gap)
        out_spans = [SpanOut(start=a, end=b) for a, b in spans]
        if open_ and out_spans:
            out_spans[-1] = SpanOut(start=spans[-1][0], end=None)
        name, school = names.get(uid, ("", ""))
        people.append(
            PersonOut(
                user_id=uid, name=name, school=ln.school if ln else school, member_role=members.get(uid),
                roles=sorted({st.role for st in mine if st.role}),
                venues=sorted({venues[st.venue_id] for st in mine if st.venue_id in venues}),
                stays=out_spans, present_seconds=ln.present if ln else 0.0, ratio=ln.ratio if ln else 0.0,
                counted=ln.counted if ln else False, hours=ln.hours if ln else 0.0,
                notes=notes.get(uid, 0), scores=scores.get(uid, 0), chat_messages=chats.get(uid, 0),
                seat_seconds=total(clip(merge(seat_spans.get(uid, [])), 0, now)),
            )
        )  # fmt: skip
    return ActivityOut(room_id=rid, title=room.title, starts_at=room.starts_at, ends_at=room.ends_at,
                       length_seconds=length, rule=rule_out(rule), people=people)  # fmt: skip


def line_out(ln: Line) -> LineOut:
    return LineOut(room_id=ln.room_id, title=ln.title, first_join=ln.first_join, last_leave=ln.last_leave,
                   present_seconds=ln.present, length_seconds=ln.length, ratio=ln.ratio, counted=ln.counted,
                   hours=ln.hours, role=ln.role, school=ln.school)  # fmt: skip


async def teacher(
    s: AsyncSession, user: User, rule: HoursRule, now: float, *, since: float | None, until: float | None,
    room_ids: Collection[str] | None = None,
) -> TeacherOut:  # fmt: skip
    """A teacher's activities in [since, until) (within ``room_ids``, e.g. a studio's), with hours."""
    found = await lines(s, rule, now, user_id=user.id, room_ids=room_ids, since=since, until=until)
    return TeacherOut(
        user_id=user.id, name=user.display_name, school=user.school, since=since, until=until,
        rule=rule_out(rule), activities=len(found), counted=sum(ln.counted for ln in found),
        hours=sum(ln.hours for ln in found), present_seconds=sum(ln.present for ln in found),
        lines=[line_out(ln) for ln in found],
    )  # fmt: skip


def counts(key: str, name: str, found: list[Tally] | list[Line], resources: int = 0) -> CountsOut:
    return CountsOut(
        key=key, name=name, activities=len({ln.room_id for ln in found}), attendances=len(found),
        teachers=len({ln.user_id for ln in found}), hours=sum(ln.hours for ln in found), resources=resources,
    )  # fmt: skip


async def dashboard(
    s: AsyncSession,
    rule: HoursRule,
    now: float,
    *,
    since: float | None,
    until: float | None,
    district: District,
) -> DashboardOut:
    """District counts in total, per studio (every studio, also those with no activity yet) and per school."""
    found = await tallies(s, rule, now, since=since, until=until)
    by_school: dict[str, list[Tally]] = defaultdict(list)
    by_studio: dict[str, list[Tally]] = {sid: [] for sid in district.names}
    for ln in found:
        by_school[ln.school].append(ln)
        studio = district.studio_of.get(ln.room_id)
        if studio is not None and studio in by_studio:
            by_studio[studio].append(ln)
    res = district.resources
    studios = [counts(k, district.names[k], v, res.get(k, 0)) for k, v in by_studio.items()]
    schools = [counts(k, k, v) for k, v in by_school.items()]
    key = lambda c: (-c.hours, -c.attendances, c.name)  # noqa: E731
    return DashboardOut(
        since=since, until=until, rule=rule_out(rule), totals=counts("", "", found, sum(res.values())),
        studios=sorted(studios, key=key), schools=sorted(schools, key=key),
    )  # fmt: skip


class MemberOut(BaseModel):
    user_id: int
    name: str
    school: str
    studio_role: str | None  # None: attended the studio's activities without being a member (any more)
    activities: int
    counted: int
    hours: float
    present_seconds: float


class StudioRecordsOut(BaseModel):
    studio_id: str
    name: str
    since: float | None
    until: float | None
    rule: RuleOut
    activities: int  # the studio's activities with any attendance in the range
    members: list[MemberOut]


async def studio(
    s: AsyncSession, studio_id: str, name: str, rule: HoursRule, now: float, *, since: float | None,
    until: float | None, room_ids: Collection[str], roles: dict[int, str],
) -> StudioRecordsOut:  # fmt: skip
    """Per teacher across a studio's activities in [since, until): activities, counted, hours."""
    found = await lines(s, rule, now, room_ids=room_ids, since=since, until=until)
    per: dict[int, list[Line]] = defaultdict(list)
    for ln in found:
        per[ln.user_id].append(ln)
    people = set(per) | set(roles)
    users = (
        {u.id: u for u in (await s.scalars(select(User).where(User.id.in_(sorted(people))))).all()}
        if people
        else {}
    )
    members = [
        MemberOut(
            user_id=uid, name=users[uid].display_name if uid in users else "", school=users[uid].school if uid in users else "",
            studio_role=roles.get(uid), activities=len(per.get(uid, [])), counted=sum(ln.counted for ln in per.get(uid, [])),
            hours=sum(ln.hours for ln in per.get(uid, [])), present_seconds=sum(ln.present for ln in per.get(uid, [])),
        )
        for uid in people
    ]  # fmt: skip
    members.sort(key=lambda m: (-m.hours, -m.activities, m.name, m.user_id))
    return StudioRecordsOut(studio_id=studio_id, name=name, since=since, until=until, rule=rule_out(rule),
                            activities=len({ln.room_id for ln in found}), members=members)  # fmt: skip
