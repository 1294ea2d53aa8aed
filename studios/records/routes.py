"""REST API of the records: an activity's attendance, my records, a teacher's records, the district
dashboard; each as JSON or as a CSV / XLSX export.

Who sees what: a room's attendance needs ``attendance.view`` in the room (host, moderator) — any other
member gets their own line only; a teacher's records are theirs, or an administrator's to read; the
district dashboard is for administrators (``users.is_admin``, made by ``moke create-admin``); a studio's
records (and, with ``studio_id``, its members' records) are for its host and core members (``studio.records_view``).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from rooms.api import Action, Room, allowed, authorize
from server.api import ApiRoutes, Query, json_response
from server.config import Settings
from server.context import ctx_of
from server.errors import Forbidden, NotFound, ValidationError
from server.http import principal_of
from server.models import User
from studios.access import authorize_studio
from studios.models import Studio
from studios.permissions import StudioAction
from studios.records import reports, tables
from studios.records.export import FORMATS, render
from studios.records.spans import Credit, HoursRule
from studios.records.studio_link import district, studio_members, studio_rooms

routes = ApiRoutes("records")

RANGE: dict[str, str | Query] = {
    "since": Query("first day (YYYY-MM-DD, in MOKE_EVALUATION_TIMEZONE), inclusive"),
    "until": Query("last day (YYYY-MM-DD), inclusive"),
}
RULE: dict[str, str | Query] = {
    "min_ratio": Query("share of the activity present for it to count (0..1); default from settings", float)
}
FILE: dict[str, str | Query] = {
    "format": Query("file format", choices=tuple(FORMATS), default="csv"),
    "lang": Query("language of the column headings", choices=tables.LANGS, default="zh-CN"),
}


def rule_of(request: web.Request, s: Settings) -> HoursRule:
    raw = request.query.get("min_ratio")
    ratio = s.records_hours_min_ratio
    if raw is not None:
        try:
            ratio = float(raw)
        except ValueError:
            raise ValidationError("min_ratio: a number between 0 and 1", code="bad_ratio") from None
        if not 0 <= ratio <= 1:
            raise ValidationError("min_ratio: a number between 0 and 1", code="bad_ratio")
    return HoursRule(min_ratio=ratio, credit=Credit(s.records_hours_credit), step=s.records_hours_step)


def _day(request: web.Request, name: str, tz: ZoneInfo) -> date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name}: a date as YYYY-MM-DD", code="bad_date") from None


def range_of(request: web.Request, tz: ZoneInfo) -> tuple[float | None, float | None]:
    """[since, until) in seconds from the inclusive days of the query, in the district's time zone."""
    since, until = _day(request, "since", tz), _day(request, "until", tz)
    if since and until and until < since:
        raise ValidationError("until: must not be before since", code="bad_range")
    lo = datetime.combine(since, datetime.min.time(), tz).timestamp() if since else None
    hi = datetime.combine(until + timedelta(days=1), datetime.min.time(), tz).timestamp() if until else None
    return lo, hi


def file_response(request: web.Request, table: tables.Table, name: str) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in FORMATS:
        raise ValidationError(f"format: one of {', '.join(FORMATS)}", code="bad_format")
    lang = request.query.get("lang", "zh-CN")
    if lang not in tables.LANGS:
        raise ValidationError(f"lang: one of {', '.join(tables.LANGS)}", code="bad_lang")
    title, header, rows = table
    body = render(fmt, title, header, rows)
    disposition = f"attachment; filename=\"records.{fmt}\"; filename*=UTF-8''{quote(f'{name}.{fmt}')}"
    return web.Response(body=body, headers={"Content-Type": FORMATS[fmt], "Content-Disposition": disposition})


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang", "zh-CN")
    if lang not in tables.LANGS:
        raise ValidationError(f"lang: one of {', '.join(tables.LANGS)}", code="bad_lang")
    return lang


# ---- one activity --------------------------------------------------------------------------------------
async def _activity(request: web.Request) -> reports.ActivityOut:
    ctx, principal, room_id = ctx_of(request), principal_of(request), request.match_info["room_id"]
    role = await authorize(ctx.db, principal, room_id, Action.ROOM_VIEW)
    only = None if allowed(role, Action.ATTENDANCE_VIEW) else principal.user_id
    s = ctx.settings
    async with ctx.db.session() as session:
        room = await session.get(Room, room_id)
        if room is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        return await reports.activity(
            session, room, rule_of(request, s), s.records_merge_gap, time.time(), only=only
        )


@routes.route("GET", "/api/rooms/{room_id}/attendance", response=reports.ActivityOut, query=RULE,
              summary="The activity's attendance: who, when, from where, roles, notes, scores, chat, seat time "
                      "(host and moderator see everyone; other members their own line)")  # fmt: skip
async def get_room_attendance(request: web.Request) -> web.Response:
    return json_response(await _activity(request))


@routes.route("GET", "/api/rooms/{room_id}/attendance/export", query={**RULE, **FILE},
              content_type="application/octet-stream", summary="The activity's attendance as CSV (UTF-8 with BOM) or XLSX")  # fmt: skip
async def export_room_attendance(request: web.Request) -> web.Response:
    lang = _lang(request)
    a = await _activity(request)
    tz = ZoneInfo(ctx_of(request).settings.evaluation_timezone)
    return file_response(request, tables.activity_table(a, tz, lang), f"{a.title}-考勤")


# ---- one teacher ---------------------------------------------------------------------------------------
async def _teacher(request: web.Request, user_id: int) -> reports.TeacherOut:
    ctx, principal = ctx_of(request), principal_of(request)
    studio_id = request.query.get("studio_id") or None
    if studio_id is not None and principal.user_id != user_id:
        # a studio's host and core members see its members' records in the studio (admins act as hosts)
        await authorize_studio(ctx.db, principal, studio_id, StudioAction.RECORDS_VIEW)
    elif principal.user_id != user_id and not principal.is_admin:
        raise Forbidden(
            "only the teacher, administrators and (with studio_id) the studio's host see a teacher's records",
            code="forbidden",
        )
    s = ctx.settings
    tz = ZoneInfo(s.evaluation_timezone)
    since, until = range_of(request, tz)
    async with ctx.db.session() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found", code="user_not_found")
        if studio_id is not None and await session.get(Studio, studio_id) is None:
            raise NotFound(f"studio {studio_id} not found", code="studio_not_found")
        room_ids = await studio_rooms(session, studio_id) if studio_id else None
        return await reports.teacher(session, user, rule_of(request, s), time.time(), since=since, until=until,
                                     room_ids=room_ids)  # fmt: skip


STUDIO: dict[str, str | Query] = {"studio_id": Query("only the activities of this studio")}


@routes.route("GET", "/api/records/me", response=reports.TeacherOut, query={**RANGE, **RULE, **STUDIO},
              summary="My records (研修记录): activities attended in a date range, with hours (学时)")  # fmt: skip
async def get_my_records(request: web.Request) -> web.Response:
    return json_response(await _teacher(request, principal_of(request).user_id))


@routes.route("GET", "/api/records/me/export", query={**RANGE, **RULE, **STUDIO, **FILE},
              content_type="application/octet-stream", summary="My records as CSV (UTF-8 with BOM) or XLSX")  # fmt: skip
async def export_my_records(request: web.Request) -> web.Response:
    lang = _lang(request)
    r = await _teacher(request, principal_of(request).user_id)
    tz = ZoneInfo(ctx_of(request).settings.evaluation_timezone)
    return file_response(request, tables.teacher_table(r, tz, lang), f"{r.name}-研修记录")


def _user_id(request: web.Request) -> int:
    raw = request.match_info["user_id"]
    if not raw.isdigit():
        raise ValidationError("user_id: a number", code="bad_user")
    return int(raw)


@routes.route("GET", "/api/records/teachers/{user_id}", response=reports.TeacherOut, query={**RANGE, **RULE, **STUDIO},
              summary="A teacher's records (the teacher, or an administrator)")  # fmt: skip
async def get_teacher_records(request: web.Request) -> web.Response:
    return json_response(await _teacher(request, _user_id(request)))


@routes.route("GET", "/api/records/teachers/{user_id}/export", query={**RANGE, **RULE, **STUDIO, **FILE},
              content_type="application/octet-stream",
              summary="A teacher's records as CSV (UTF-8 with BOM) or XLSX (the teacher, administrators, the studio's host)")  # fmt: skip
async def export_teacher_records(request: web.Request) -> web.Response:
    lang = _lang(request)
    r = await _teacher(request, _user_id(request))
    tz = ZoneInfo(ctx_of(request).settings.evaluation_timezone)
    return file_response(request, tables.teacher_table(r, tz, lang), f"{r.name}-研修记录")


# ---- the district --------------------------------------------------------------------------------------
async def _dashboard(request: web.Request) -> reports.DashboardOut:
    ctx, principal = ctx_of(request), principal_of(request)
    if not principal.is_admin:
        # 403, not require_admin's 401: the caller is signed in, just not an administrator
        raise Forbidden("the district dashboard is for administrators", code="admin_required")
    s = ctx.settings
    since, until = range_of(request, ZoneInfo(s.evaluation_timezone))
    async with ctx.db.session() as session:
        return await reports.dashboard(session, rule_of(request, s), time.time(), since=since, until=until,
                                       district=await district(session))  # fmt: skip


@routes.route("GET", "/api/records/dashboard", response=reports.DashboardOut, query={**RANGE, **RULE},
              summary="District dashboard (administrators): activities, attendances, hours, resources per studio and school")  # fmt: skip
async def get_district_dashboard(request: web.Request) -> web.Response:
    return json_response(await _dashboard(request))


@routes.route("GET", "/api/records/dashboard/export", query={**RANGE, **RULE, **FILE},
              content_type="application/octet-stream", summary="The district dashboard as CSV (UTF-8 with BOM) or XLSX")  # fmt: skip
async def export_district_dashboard(request: web.Request) -> web.Response:
    lang = _lang(request)
    d = await _dashboard(request)
    return file_response(request, tables.dashboard_table(d, lang), "区域看板")


# ---- one studio ----------------------------------------------------------------------------------------
async def _studio(request: web.Request) -> reports.StudioRecordsOut:
    ctx, studio_id = ctx_of(request), request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.RECORDS_VIEW)
    s = ctx.settings
    since, until = range_of(request, ZoneInfo(s.evaluation_timezone))
    async with ctx.db.session() as session:
        studio = await session.get(Studio, studio_id)
        assert studio is not None  # authorize_studio answered 404 otherwise
        return await reports.studio(
            session, studio_id, studio.name, rule_of(request, s), time.time(), since=since, until=until,
            room_ids=await studio_rooms(session, studio_id), roles=await studio_members(session, studio_id),
        )  # fmt: skip


@routes.route("GET", "/api/studios/{studio_id}/records", response=reports.StudioRecordsOut, query={**RANGE, **RULE},
              summary="Per teacher across the studio's activities: activities, counted ones, hours (host, core members)")  # fmt: skip
async def get_studio_records(request: web.Request) -> web.Response:
    return json_response(await _studio(request))


@routes.route("GET", "/api/studios/{studio_id}/records/export", query={**RANGE, **RULE, **FILE},
              content_type="application/octet-stream", summary="The studio's hours per teacher as CSV (UTF-8 with BOM) or XLSX")  # fmt: skip
async def export_studio_records(request: web.Request) -> web.Response:
    lang = _lang(request)
    r = await _studio(request)
    return file_response(request, tables.studio_table(r, lang), f"{r.name}-学时")
