"""Records at district scale: dashboard and export times, and the plans of their queries.

A district of ``--studios`` studios (50), ``--activities`` activities (2,000) and ``--attendances`` teacher
attendances (100,000; one stay each), ~120 schools, 100 teachers per studio, 19,200 library items, seeded straight into a fresh
database (SQLite file, and PostgreSQL at 127.0.0.1:5432 when it is there), then ``ANALYZE``. Each timing is the
median of ``--repeat`` runs (3) of the code the REST routes run (``studios.records.reports`` and
``tables``/``export``), without HTTP:

  * dashboard: every attendance line, hours by the rule, counts per studio and per school;
  * dashboard export: the same as XLSX and as CSV;
  * a teacher's year (``/api/records/me``) and its XLSX export;
  * a studio's year per teacher (``/api/studios/{id}/records``) and its XLSX export;
  * one activity's attendance (50 people) and its XLSX export.

Then ``EXPLAIN QUERY PLAN`` (SQLite) / ``EXPLAIN`` (PostgreSQL) of each query: which index it uses.

    .venv/bin/python bench/records.py [--db sqlite|postgresql|both] [--attendances 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.sql import Select  # noqa: E402

import server.app  # noqa: E402, F401  (every package's models on the metadata)
from rooms.api import Room  # noqa: E402
from server.db import Database  # noqa: E402
from server.models import User  # noqa: E402
from studios.records import reports, tables  # noqa: E402
from studios.records.attendance import lines_query, observed_query, tally_query  # noqa: E402
from studios.records.export import render  # noqa: E402
from studios.records.models import Attendance, Stay  # noqa: E402
from studios.records.spans import HoursRule  # noqa: E402
from studios.records.studio_link import district, studio_members, studio_rooms  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
_SCAN = re.compile(
    r"(Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan)( using \w+)? on \w+"
)
YEAR_START = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, -1))


async def seed(db: Database, n_studios: int, n_activities: int, n_attend: int) -> dict[str, Any]:
    rnd = random.Random(17)
    schools = [f"第{i + 1}学校" for i in range(120)]
    per_studio = 100
    n_users = n_studios * per_studio + 1
    users = [{"id": 1, "username": "admin", "display_name": "管理员", "school": "", "is_admin": True,
              "is_guest": False, "created_at": YEAR_START}]  # fmt: skip
    users += [
        {"id": i, "username": f"t{i}", "display_name": f"教师{i}", "school": rnd.choice(schools),
         "is_admin": False, "is_guest": False, "created_at": YEAR_START}
        for i in range(2, n_users + 1)
    ]  # fmt: skip
    rooms: list[dict[str, Any]] = []
    attendance: list[dict[str, Any]] = []
    stays: list[dict[str, Any]] = []
    per_room = max(1, n_attend // n_activities)
    studio_rooms: list[dict[str, Any]] = []
    for r in range(n_activities):
        studio = r % n_studios
        start = YEAR_START + rnd.uniform(0, 330 * 86400)
        scheduled = r % 2 == 0
        length = rnd.choice([45, 90, 120]) * 60
        rid = f"r{r:05d}"
        rooms.append({"id": rid, "title": f"活动{r}", "kind": "trial", "subject": "", "grade": "", "description": "",
                      "starts_at": start if scheduled else None, "ends_at": start + length if scheduled else None,
                      "seats": None, "created_by": 1, "created_at": start, "updated_at": start, "archived_at": None})  # fmt: skip
        studio_rooms.append({"room_id": rid, "studio": studio})
        members = rnd.sample(
            range(2 + studio * per_studio, 2 + (studio + 1) * per_studio), min(per_room, per_studio)
        )
        for uid in members:
            if len(attendance) >= n_attend:
                break
            present = length * rnd.choice([1.0, 0.95, 0.85, 0.7, 0.4])
            join = start + rnd.uniform(0, length - present)
            school = users[uid - 1]["school"]
            attendance.append({"room_id": rid, "user_id": uid, "school": school, "role": "observer",
                               "first_join": join, "last_leave": join + present, "present_seconds": present,
                               "stays": 1, "updated_at": join + present})  # fmt: skip
            stays.append({"room_id": rid, "user_id": uid, "node_id": "bench", "sid": f"s{len(stays)}",
                          "role": "observer", "venue_id": None, "school": school, "joined_at": join,
                          "left_at": join + present, "ended_by": "leave"})  # fmt: skip
    async with db.transaction() as s:
        for table, rows in ((User, users), (Room, rooms), (Attendance, attendance), (Stay, stays)):
            for i in range(0, len(rows), 5000):
                await s.execute(insert(table), rows[i : i + 5000])
        await _seed_studios(s, n_studios, studio_rooms)
    return {"users": len(users), "rooms": len(rooms), "attendances": len(attendance), "stays": len(stays)}


async def _seed_studios(s: Any, n_studios: int, studio_rooms: list[dict[str, Any]]) -> None:
    """The studios' own tables, when the studios part of the package has them."""
    from studios.library.models import LibraryItem
    from studios.models import Studio, StudioMember, StudioRoom

    await s.execute(insert(Studio), [
        {"id": f"s{i:03d}", "name": f"名师工作室{i + 1}", "subject": "语文", "grade_band": "小学", "description": "",
         "host_id": 1, "created_by": 1, "created_at": YEAR_START, "updated_at": YEAR_START, "archived_at": None}
        for i in range(n_studios)
    ])  # fmt: skip
    await s.execute(insert(StudioRoom), [
        {"room_id": r["room_id"], "studio_id": f"s{r['studio']:03d}", "host_role": "host", "core_role": "editor",
         "participant_role": "observer", "cycle_id": None, "position": None, "stage": "", "doc_id": None,
         "final_version_id": None, "added_by": 1, "added_at": YEAR_START}
        for r in studio_rooms
    ])  # fmt: skip
    per_studio = 100
    await s.execute(insert(StudioMember), [
        {"studio_id": f"s{i:03d}", "user_id": 2 + i * per_studio + k, "role": "host" if k == 0 else
         "core" if k <= 10 else "participant", "joined_at": YEAR_START}
        for i in range(n_studios) for k in range(per_studio)
    ])  # fmt: skip
    items = [  # the district's 19,200 lesson resources, spread over its studios
        {"id": f"i{n:06d}", "studio_id": f"s{n % n_studios:03d}", "cycle_id": None, "room_id": None, "kind": "file",
         "title": f"资源{n}", "subject": "", "grade": "", "description": "", "content_text": "", "source_id": None,
         "filename": "a.pdf", "stored": f"i{n:06d}", "content_type": "application/pdf", "size": 1, "visibility": "members",
         "public_token": None, "created_by": 1, "created_at": YEAR_START, "updated_at": YEAR_START}
        for n in range(19_200)
    ]  # fmt: skip
    for i in range(0, len(items), 5000):
        await s.execute(insert(LibraryItem), items[i : i + 5000])


async def timed(repeat: int, fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


async def explain(db: Database, q: Select[Any]) -> str:
    async with db.session() as s:
        bind = s.get_bind()
        sql = str(q.compile(bind, compile_kwargs={"literal_binds": True}))
        if bind.dialect.name == "sqlite":
            rows = (await s.execute(text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            return "; ".join(str(r[-1]) for r in rows)
        rows = (await s.execute(text(f"EXPLAIN {sql}"))).all()
        # the scans, in plan order: which table is read whole and which through which index
        scans = [m.group(0) for r in rows if (m := _SCAN.search(str(r[0])))]
        return "; ".join(dict.fromkeys(scans))


async def run(url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    await db.start()
    try:
        t0 = time.perf_counter()
        counts = await seed(db, args.studios, args.activities, args.attendances)
        async with db.session() as s:
            await s.execute(text("ANALYZE"))
            await s.commit()
        print(f"\n== {db.engine.dialect.name}: seeded {counts} in {time.perf_counter() - t0:.1f} s")
        rule, now = HoursRule(), time.time()
        teacher_id, room_id = 2, "r00000"

        async def dashboard() -> reports.DashboardOut:
            async with db.session() as s:
                return await reports.dashboard(
                    s, rule, now, since=None, until=None, district=await district(s)
                )

        ms, d = await timed(args.repeat, dashboard)
        print(f"dashboard (JSON model)      {ms:8.1f} ms  totals: {d.totals.activities} activities, "
              f"{d.totals.attendances} attendances, {d.totals.hours:.1f} h, {d.totals.resources} resources; {len(d.studios)} studios, {len(d.schools)} schools")  # fmt: skip
        for fmt in ("xlsx", "csv"):
            ms, body = await timed(args.repeat, lambda fmt=fmt: _export_dashboard(dashboard, fmt))  # type: ignore[misc]
            print(f"dashboard export {fmt:4}       {ms:8.1f} ms  {len(body):,} bytes")

        async def year() -> reports.TeacherOut:
            async with db.session() as s:
                user = await s.get(User, teacher_id)
                assert user is not None
                return await reports.teacher(
                    s, user, rule, now, since=YEAR_START, until=YEAR_START + 366 * 86400
                )

        ms, r = await timed(args.repeat, year)
        print(f"a teacher's year            {ms:8.1f} ms  {r.activities} activities, {r.hours} h")
        ms, body = await timed(args.repeat, lambda: _export(year, "teacher"))
        print(f"a teacher's year, xlsx      {ms:8.1f} ms  {len(body):,} bytes")

        async def one_studio() -> reports.StudioRecordsOut:
            async with db.session() as s:
                rooms = await studio_rooms(s, "s000")
                return await reports.studio(s, "s000", "名师工作室1", rule, now, since=YEAR_START,
                                            until=YEAR_START + 366 * 86400, room_ids=rooms,
                                            roles=await studio_members(s, "s000"))  # fmt: skip

        ms, st = await timed(args.repeat, one_studio)
        print(
            f"a studio's year             {ms:8.1f} ms  {st.activities} activities, {len(st.members)} teachers"
        )
        ms, body = await timed(args.repeat, lambda: _export(one_studio, "studio"))
        print(f"a studio's year, xlsx       {ms:8.1f} ms  {len(body):,} bytes")

        async def activity() -> reports.ActivityOut:
            async with db.session() as s:
                room = await s.get(Room, room_id)
                assert room is not None
                return await reports.activity(s, room, rule, 60.0, now)

        ms, a = await timed(args.repeat, activity)
        print(f"one activity                {ms:8.1f} ms  {len(a.people)} people")
        ms, body = await timed(args.repeat, lambda: _export(activity, "activity"))
        print(f"one activity, xlsx          {ms:8.1f} ms  {len(body):,} bytes")

        print("plans:")
        async with db.session() as s:
            some = list((await s.scalars(select(Room.id).limit(500))).all())
        plans = {
            "dashboard lines": tally_query(),
            "dashboard observed spans (500 rooms)": observed_query(some, now),
            "teacher's year": lines_query(
                user_id=teacher_id, since=YEAR_START, until=YEAR_START + 366 * 86400
            ),
            "studio's year (40 rooms)": lines_query(
                room_ids=[f"r{r:05d}" for r in range(0, 2000, 50)],
                since=YEAR_START,
                until=YEAR_START + 366 * 86400,
            ),
            "activity lines": lines_query(room_ids=[room_id]),
            "activity stays": select(Stay).where(Stay.room_id == room_id).order_by(Stay.joined_at),
            "open stays (each heartbeat)": select(Stay.node_id).where(Stay.left_at.is_(None)).distinct(),
        }
        for name, q in plans.items():
            print(f"  {name}: {await explain(db, q)}")
    finally:
        await db.stop()


async def _export_dashboard(load: Callable[[], Awaitable[reports.DashboardOut]], fmt: str) -> bytes:
    title, header, rows = tables.dashboard_table(await load(), "zh-CN")
    return render(fmt, title, header, rows)


async def _export(load: Callable[[], Awaitable[Any]], kind: str) -> bytes:
    report = await load()
    if kind == "teacher":
        title, header, rows = tables.teacher_table(report, TZ, "zh-CN")
    elif kind == "studio":
        title, header, rows = tables.studio_table(report, "zh-CN")
    else:
        title, header, rows = tables.activity_table(report, TZ, "zh-CN")
    return render("xlsx", title, header, rows)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--studios", type=int, default=50)
    p.add_argument("--activities", type=int, default=2000)
    p.add_argument("--attendances", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/records.db", args)
    if args.db in ("postgresql", "both"):
        from tests.support.services import fresh_pg_database

        async with fresh_pg_database() as url:
            await run(url, args)


if __name__ == "__main__":
    asyncio.run(main())
