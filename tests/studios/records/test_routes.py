"""The records over REST with real Socket.IO clients: an activity's attendance (who, where, roles, notes,
chat, seat time), who may see it, the hours rule, the district dashboard and the CSV / XLSX exports."""

from __future__ import annotations

import csv
import io
import time

import openpyxl

from rooms.api import Room
from server.models import User
from studios.api import RECORDER
from studios.library.models import LibraryItem
from studios.records.models import Attendance
from tests.support.api import Api
from tests.support.records import make_admin, person, wait_attendance
from tests.support.rooms import Client, cid, create_room, member
from tests.support.server import RunningServer
from tests.support.studios import studio_of, studio_room

BOM = b"\xef\xbb\xbf"


async def test_an_activity_shows_who_joined_from_where_and_what_they_did(
    api: Api, server: RunningServer
) -> None:
    host = await api.register(display_name="李主持")
    rid = (await create_room(api, host["token"], kind="trial"))["id"]
    status, venue = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                   json={"name": "二中录播教室", "school": "第二中学"})  # fmt: skip
    assert status == 201, venue
    teacher = await member(api, host["token"], rid, "observer", as_guest=True)
    tid = teacher["user"]["id"]
    h = await Client(server.url, host["token"]).connect()
    t = await Client(server.url, teacher["token"]).connect()
    try:
        await h.join(rid)
        await t.join(rid)
        assert (await t.call("presence:update", {"room_id": rid, "venue_id": venue["id"]}))["ok"]
        assert (await t.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "听得很清楚"}))["ok"]
        status, note = await api.call("POST", f"/api/rooms/{rid}/notes", token=teacher["token"],
                                      json={"client_id": cid(), "text": "导入环节很自然"})  # fmt: skip
        assert status == 201, note
        assert (await h.call("seat:grant", {"room_id": rid, "user_id": tid}))["ok"]
        assert (await h.call("seat:revoke", {"room_id": rid, "user_id": tid}))["ok"]
        await t.close()
    finally:
        await t.close()
        await h.close()
    await server.app[RECORDER].drained()
    report = await wait_attendance(api, host["token"], rid, lambda r: (person(r, tid) or {}).get("stays", [{}])[-1].get("end") is not None)  # fmt: skip
    line = person(report, tid)
    assert line is not None
    assert line["school"] == "第二中学" and line["venues"] == ["二中录播教室"]
    assert line["roles"] == ["observer"] and line["member_role"] == "observer"
    assert (line["chat_messages"], line["notes"], line["scores"]) == (1, 1, 0)
    assert line["seat_seconds"] > 0 and line["present_seconds"] >= line["seat_seconds"]
    assert len(line["stays"]) == 1
    # a member without attendance.view sees only their own line; a stranger nothing
    status, mine = await api.call("GET", f"/api/rooms/{rid}/attendance", token=teacher["token"])
    assert status == 200 and [p["user_id"] for p in mine["people"]] == [tid]
    stranger = await api.register()
    status, err = await api.call("GET", f"/api/rooms/{rid}/attendance", token=stranger["token"])
    assert status == 403 and err["error"]["code"] == "not_member"
    status, err = await api.call("GET", f"/api/rooms/{rid}/attendance?min_ratio=2", token=host["token"])
    assert status == 422 and err["error"]["code"] == "bad_ratio"
    # exports: CSV with its BOM (Excel reads UTF-8), XLSX that openpyxl opens
    status, body = await api.call(
        "GET", f"/api/rooms/{rid}/attendance/export?format=csv", token=host["token"]
    )
    assert status == 200 and body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["姓名", "学校", "角色"] and any(r[1] == "第二中学" for r in rows[1:])
    status, body = await api.call(
        "GET", f"/api/rooms/{rid}/attendance/export?format=xlsx&lang=en", token=host["token"]
    )
    assert status == 200 and body[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Name", "School") and len(values) == 1 + len(report["people"])
    status, err = await api.call("GET", f"/api/rooms/{rid}/attendance/export?format=pdf", token=host["token"])
    assert status == 422 and err["error"]["code"] == "bad_format"


async def test_the_hours_rule_the_dashboard_and_their_exports(api: Api, server: RunningServer) -> None:
    host = await api.register(display_name="李主持", school="实验小学")
    starts = time.time() - 7200
    rid = (await create_room(api, host["token"], kind="trial", starts_at=starts, ends_at=starts + 45 * 60))[
        "id"
    ]
    stayed = await api.register(
        display_name="=HYPERLINK(1)", school="实验小学"
    )  # a name that looks like a formula
    left_early = await api.register(display_name="张老师", school="第二中学")
    db = server.ctx.db
    async with db.transaction() as s:
        for who, minutes in ((stayed, 40), (left_early, 30)):
            s.add(Attendance(room_id=rid, user_id=who["user"]["id"], school=who["user"]["school"], role="observer",
                             first_join=starts, last_leave=starts + minutes * 60, present_seconds=minutes * 60.0,
                             stays=1, updated_at=starts + minutes * 60))  # fmt: skip
    # 40 of 45 minutes is ≥ 80 %: counted, the activity's 0.75 h rounded down to 0.5; 30 minutes is not
    status, mine = await api.call("GET", "/api/records/me", token=stayed["token"])
    assert status == 200 and (mine["activities"], mine["counted"], mine["hours"]) == (1, 1, 0.5), mine
    status, theirs = await api.call("GET", "/api/records/me", token=left_early["token"])
    assert status == 200 and (theirs["counted"], theirs["hours"]) == (0, 0.0)
    assert abs(theirs["lines"][0]["ratio"] - 30 / 45) < 1e-6
    status, lenient = await api.call("GET", "/api/records/me?min_ratio=0.6", token=left_early["token"])
    assert status == 200 and lenient["hours"] == 0.5
    status, none = await api.call(
        "GET", "/api/records/me?since=2000-01-01&until=2000-01-31", token=stayed["token"]
    )
    assert status == 200 and none["activities"] == 0
    status, err = await api.call("GET", "/api/records/me?since=yesterday", token=stayed["token"])
    assert status == 422 and err["error"]["code"] == "bad_date"
    # a teacher's records: their own, or an administrator's to read
    status, err = await api.call(
        "GET", f"/api/records/teachers/{stayed['user']['id']}", token=left_early["token"]
    )
    assert status == 403
    # the dashboard is for administrators
    status, err = await api.call("GET", "/api/records/dashboard", token=host["token"])
    assert status == 403 and err["error"]["code"] == "admin_required"
    admin = await make_admin(api, db)
    status, other = await api.call(
        "GET", f"/api/records/teachers/{stayed['user']['id']}", token=admin["token"]
    )
    assert status == 200 and other["hours"] == 0.5
    status, dash = await api.call("GET", "/api/records/dashboard", token=admin["token"])
    assert status == 200, dash
    assert (dash["totals"]["activities"], dash["totals"]["attendances"], dash["totals"]["hours"]) == (
        1,
        2,
        0.5,
    )
    schools = {c["name"]: c for c in dash["schools"]}
    assert schools["实验小学"]["hours"] == 0.5 and schools["第二中学"]["hours"] == 0
    status, body = await api.call("GET", "/api/records/dashboard/export?format=xlsx", token=admin["token"])
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "类别" and ("学校", "第二中学", 1, 1, 1, 0, 0) in rows
    status, body = await api.call("GET", "/api/records/me/export", token=stayed["token"])
    assert status == 200 and body.startswith(BOM)
    row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
    assert row[0] == "'=HYPERLINK(1)" and row[7] == "是"  # a formula-like name stays text
    async with db.session() as s:  # the room and the users are real rows the lines join to
        assert await s.get(Room, rid) is not None and await s.get(User, stayed["user"]["id"]) is not None


async def test_a_studios_hours_per_teacher_for_its_host_and_core(api: Api, server: RunningServer) -> None:
    studio = await studio_of(server, api, core=1, participants=3)
    starts = time.time() - 7200
    room = (
        await studio_room(
            api, studio.host.token, studio.id, kind="trial", starts_at=starts, ends_at=starts + 2700
        )
    )["room"]
    async with server.ctx.db.transaction() as s:
        for who, minutes in zip(studio.participants, (45, 40, 20), strict=True):
            s.add(Attendance(room_id=room["id"], user_id=who.user_id, school="第1小学", role="observer",
                             first_join=starts, last_leave=starts + minutes * 60, present_seconds=minutes * 60.0,
                             stays=1, updated_at=starts + minutes * 60))  # fmt: skip
    for who in (studio.host, studio.core[0]):
        status, out = await api.call("GET", f"/api/studios/{studio.id}/records", token=who.token)
        assert status == 200, out
        by_id = {m["user_id"]: m for m in out["members"]}
        assert out["activities"] == 1 and len(by_id) == 5  # every member, also those who did not attend
        assert [by_id[p.user_id]["hours"] for p in studio.participants] == [0.5, 0.5, 0]
        assert (
            by_id[studio.host.user_id]["studio_role"] == "host"
            and by_id[studio.host.user_id]["activities"] == 0
        )
    first, second = studio.participants[0], studio.participants[1]
    status, err = await api.call("GET", f"/api/studios/{studio.id}/records", token=first.token)
    assert status == 403
    # with studio_id, the core member reads a participant's records in the studio; a participant does not
    path = f"/api/records/teachers/{second.user_id}?studio_id={studio.id}"
    status, out = await api.call("GET", path, token=studio.core[0].token)
    assert status == 200 and out["hours"] == 0.5
    export = f"/api/records/teachers/{second.user_id}/export?studio_id={studio.id}&format=xlsx"
    status, body = await api.call("GET", export, token=studio.core[0].token)
    assert status == 200 and body[:2] == b"PK"
    status, err = await api.call("GET", path, token=first.token)
    assert status == 403
    status, mine = await api.call("GET", f"/api/records/me?studio_id={studio.id}", token=first.token)
    assert status == 200 and mine["activities"] == 1
    status, err = await api.call("GET", "/api/records/me?studio_id=nosuchstudio", token=first.token)
    assert status == 404 and err["error"]["code"] == "studio_not_found"
    status, body = await api.call(
        "GET", f"/api/studios/{studio.id}/records/export?format=xlsx", token=studio.host.token
    )
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "学校", "工作室角色") and len(rows) == 6
    async with server.ctx.db.transaction() as s:  # one resource in the studio's library
        s.add(LibraryItem(id=cid()[:32], studio_id=studio.id, kind="file", title="教学设计", filename="plan.pdf",
                          stored=cid()[:32], content_type="application/pdf", size=10))  # fmt: skip
    admin = await make_admin(api, server.ctx.db)
    status, dash = await api.call("GET", "/api/records/dashboard", token=admin["token"])
    assert status == 200
    (mine_in_dash,) = [c for c in dash["studios"] if c["key"] == studio.id]
    assert (mine_in_dash["activities"], mine_in_dash["attendances"], mine_in_dash["hours"]) == (1, 3, 1.0)
    assert mine_in_dash["resources"] == 1 and dash["totals"]["resources"] == 1
