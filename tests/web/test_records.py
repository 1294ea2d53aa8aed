"""研修记录 pages in Chromium at desktop and phone width: my records, an activity's attendance (host) with its
CSV export, and the district dashboard with its chart (administrator); no sideways scrolling on a phone.

Attendance lines are written straight into the server's SQLite file (the real stays come from presence and
are tested in tests/studios/records); the pages read them through the real REST API."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ROOT, ServerProcess
from tests.support.services import require_chromium
from tests.support.web import Browser, Rest, fits_width

pytestmark = pytest.mark.chromium
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def records_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server of our own: the test writes attendance into its database file and makes an administrator."""
    data = tmp_path_factory.mktemp("recordsvar")
    proc = ServerProcess(data, env={"MOKE_LOG_LEVEL": "WARNING"})
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, proc.start()).result()
    try:
        yield proc.url, data
    finally:
        proc.terminate()


@pytest.fixture
def district(records_server: tuple[str, Path]) -> dict[str, Any]:
    """Three finished activities of one host, six teachers from three schools, an administrator."""
    url, data = records_server
    rest = Rest(url)
    host = rest.register("李主持", "实验小学")
    teachers = [rest.register(f"教师{i}", ["实验小学", "第二中学", "城南小学"][i % 3]) for i in range(6)]
    start = time.time() - 3 * 86400
    rooms = []
    for i, title in enumerate(["《秋天的雨》第一次试讲", "《秋天的雨》第二次试讲", "《秋天的雨》展示课"]):
        t0 = start + i * 86400
        body = {"title": title, "kind": "trial", "starts_at": t0, "ends_at": t0 + 90 * 60}
        rooms.append((rest.ok("POST", "/api/rooms", body, host["token"])["id"], t0))
    db = sqlite3.connect(data / "moke.db")
    with db:
        for room_id, t0 in rooms:
            for j, who in enumerate([host, *teachers]):
                minutes = [90, 85, 80, 60, 30, 88, 75][j]
                uid, school = who["user"]["id"], who["user"]["school"]
                db.execute(
                    "INSERT INTO record_attendance VALUES (?,?,?,?,?,?,?,?,?)",
                    (room_id, uid, school, "host" if j == 0 else "observer", t0, t0 + minutes * 60, minutes * 60.0,
                     1, t0 + minutes * 60),
                )  # fmt: skip
                db.execute(
                    "INSERT INTO record_stays (room_id, user_id, node_id, sid, role, venue_id, school, joined_at,"
                    " left_at, ended_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (room_id, uid, "n", f"s{uid}", "host" if j == 0 else "observer", None, school, t0,
                     t0 + minutes * 60, "leave"),
                )  # fmt: skip
    db.close()
    env = {**os.environ, "MOKE_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "server", "create-admin", "district", "--password", "correct horse battery"],
                   cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    admin = rest.ok("POST", "/api/auth/login", {"username": "district", "password": "correct horse battery"})
    return {"url": url, "host": host, "teachers": teachers, "rooms": rooms, "admin": admin}


def _browser(chromium: Any, url: str) -> Iterator[Browser]:
    b = Browser(chromium, url)
    yield b
    for ctx in b.contexts:
        ctx.close()
    unexpected = b.unexpected_errors()
    assert not unexpected, "console errors:\n" + "\n".join(unexpected)


@pytest.fixture
def rweb(chromium: Any, records_server: tuple[str, Path]) -> Iterator[Browser]:
    require_chromium()
    yield from _browser(chromium, records_server[0])


def test_my_records_show_hours_by_the_rule(rweb: Browser, district: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    teacher = district["teachers"][1]  # 80 of 90 minutes each time: counted (≥ 80 %), 1.5 h each
    for phone in (False, True):
        page = rweb.page(teacher, label="mine", phone=phone)
        page.goto(f"{rweb.base}/records")
        expect(page.get_by_test_id("stat-activities")).to_have_text("3")
        expect(page.get_by_test_id("stat-counted")).to_have_text("3")
        expect(page.get_by_test_id("stat-hours")).to_have_text("4.5")
        expect(page.get_by_test_id("my-lines").locator("tbody tr")).to_have_count(3)
        if phone:
            assert fits_width(page)
        rweb.shot(page, f"records-mine-{'phone' if phone else 'desktop'}")
    late = rweb.page(district["teachers"][3], label="late")  # 30 of 90 minutes: not counted
    late.goto(f"{rweb.base}/records")
    expect(late.get_by_test_id("stat-counted")).to_have_text("0")
    expect(late.get_by_test_id("my-lines").get_by_text("未计入")).to_have_count(3)


def test_the_host_sees_an_activitys_attendance_and_exports_it(
    rweb: Browser, district: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    room_id = district["rooms"][0][0]
    for phone in (False, True):
        page = rweb.page(district["host"], label="attendance", phone=phone)
        page.goto(f"{rweb.base}/rooms/{room_id}")
        page.locator("#go-attendance").click()
        expect(page.get_by_test_id("people").locator("tbody tr")).to_have_count(7)
        expect(page.get_by_test_id("stat-counted")).to_have_text("5")
        expect(page.get_by_test_id("people")).to_contain_text("第二中学")
        if phone:
            assert fits_width(page)
        rweb.shot(page, f"records-attendance-{'phone' if phone else 'desktop'}")
    with page.expect_download() as dl:
        page.get_by_test_id("export-csv").click()
    body = Path(dl.value.path()).read_bytes()
    assert body.startswith(BOM) and "城南小学" in body.decode("utf-8-sig")


def test_the_district_dashboard_charts_hours_per_school(rweb: Browser, district: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    for phone in (False, True):
        page = rweb.page(district["admin"], label="dashboard", phone=phone)
        page.goto(f"{rweb.base}/")
        page.locator("#go-dashboard").click()
        expect(page.get_by_test_id("schools")).to_contain_text("城南小学")
        expect(page.get_by_test_id("chart-schools").locator("rect")).not_to_have_count(0)
        assert int(page.get_by_test_id("stat-attendances").inner_text()) >= 21
        if phone:
            assert fits_width(page)
        rweb.shot(page, f"records-dashboard-{'phone' if phone else 'desktop'}")
    # a teacher is told the dashboard is not theirs (the server refuses it too: tests/studios/records)
    page = rweb.page(district["teachers"][0], label="not-admin")
    page.goto(f"{rweb.base}/records/dashboard")
    expect(page.get_by_role("alert")).to_have_text("区域看板仅限管理员查看")


def test_the_studio_home_shows_hours_per_member(rweb: Browser, records_server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    url, data = records_server
    rest = Rest(url)
    host = rest.register("王主持", "实验小学")
    learner = rest.register("赵老师", "城南小学")
    studio = rest.ok("POST", "/api/studios", {"name": "王老师语文名师工作室", "subject": "语文", "grade_band": "小学"},
                     host["token"])  # fmt: skip
    code = rest.ok("POST", f"/api/studios/{studio['id']}/invites", {"role": "participant"}, host["token"])[
        "code"
    ]
    rest.ok("POST", "/api/studio-invites/redeem", {"code": code}, learner["token"])
    t0 = time.time() - 86400
    room = {"title": "《秋天的雨》第一次试讲", "kind": "trial", "starts_at": t0, "ends_at": t0 + 3600}
    rid = rest.ok("POST", f"/api/studios/{studio['id']}/rooms", {"room": room}, host["token"])["room"]["id"]
    db = sqlite3.connect(data / "moke.db")
    with db:
        db.execute("INSERT INTO record_attendance VALUES (?,?,?,?,?,?,?,?,?)",
                   (rid, learner["user"]["id"], "城南小学", "observer", t0, t0 + 3500, 3500.0, 1, t0 + 3500))  # fmt: skip
    db.close()
    for phone in (False, True):
        page = rweb.page(host, label="studio-records", phone=phone)
        page.goto(f"{rweb.base}/studios/{studio['id']}")
        rows = page.get_by_test_id("studio-members-hours").locator("tbody tr")
        expect(rows).to_have_count(2)  # the host and the participant
        expect(page.get_by_test_id("studio-stat-hours")).to_have_text("1")
        page.locator("#studio-records").scroll_into_view_if_needed()
        if phone:
            assert fits_width(page)
        rweb.shot(page, f"records-studio-{'phone' if phone else 'desktop'}")
    mine = rweb.page(learner, label="studio-records-mine")
    mine.goto(f"{rweb.base}/studios/{studio['id']}")
    expect(mine.get_by_test_id("studio-stat-counted")).to_have_text("1")
