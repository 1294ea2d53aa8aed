"""Studios in Chromium (web/src/pages/studio.ts, cycle.ts): a teacher joins a studio by its invite link and sees
its upcoming activities; the studio home at desktop and phone width; a cycle run from the cycle view — the
plan edited in the preparation room, the next step added with a click, the second trial opened with the first
trial's plan — and the cycle view with the drafts, their diff and the rubric means trial over trial."""

from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, fits_width, publishing_venue

GENERAL = ["goals", "content", "methods", "interaction", "participation", "effect", "literacy"]


def _until(what: str, probe: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"{what}: not in {timeout} s"
        time.sleep(0.2)
    return found


def _full_shot(web: Browser, page: Any, name: str) -> None:
    """The whole page, not only what the screen shows (the cycle view is long)."""
    page.screenshot(path=str(web.shot(page, name)), full_page=True)


def _record(web: Browser, rest: Rest, host: dict[str, Any], room_id: str, school: str) -> str:
    """A few seconds of a venue's fake camera recorded in ``room_id`` (real media, as the lesson would be)."""
    venue = publishing_venue(web, rest, host, room_id, school)
    publisher = web.contexts[-1]
    def started() -> tuple[int, Any]:
        return rest.call("POST", f"/api/rooms/{room_id}/recordings", {"source": f"venue:{venue}"}, host["token"])

    def listed() -> Any:
        return rest.ok("GET", f"/api/rooms/{room_id}/recordings", None, host["token"])

    rec = _until("the venue's video at the server", lambda: (r := started())[0] == 201 and r[1])
    _until("the recording's first keyframe", lambda: listed()[0]["origin"] is not None)
    _until("a second of video", lambda: listed()[0]["duration"] >= 1.0)
    rest.ok("POST", f"/api/recordings/{rec['id']}/stop", None, host["token"])
    publisher.close()
    web.contexts.remove(publisher)
    return str(rec["id"])


def _studio(
    rest: Rest, participants: int
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], str]:
    """A studio with its host, one core member and ``participants`` participants; returns the participant code."""
    host = rest.register("王主持", "实验小学")
    studio = rest.ok("POST", "/api/studios", {"name": "王老师语文名师工作室", "subject": "语文", "grade_band": "小学",
                                              "description": "聚焦阅读教学的课例研磨"}, host["token"])  # fmt: skip
    sid = studio["id"]
    core_code = rest.ok("POST", f"/api/studios/{sid}/invites", {"role": "core"}, host["token"])["code"]
    code = rest.ok("POST", f"/api/studios/{sid}/invites", {"role": "participant"}, host["token"])["code"]
    core = rest.register("李核心", "第二小学")
    rest.ok("POST", "/api/studio-invites/redeem", {"code": core_code}, core["token"])
    people = []
    for i in range(participants):
        p = rest.register(f"学员{i + 1}", f"第{i % 3 + 1}小学")
        rest.ok("POST", "/api/studio-invites/redeem", {"code": code}, p["token"])
        people.append(p)
    studio["core"] = core
    return host, studio, people, code


def _export_has(rest: Rest, token: str, doc_id: str, text: str) -> bool:
    status, body = rest.call("GET", f"/api/docs/{doc_id}/export?format=md", None, token)
    return status == 200 and text in (body.decode() if isinstance(body, bytes) else str(body))


def test_joining_by_link_and_the_studio_home_on_desktop_and_phone(web: Browser, rest: Rest) -> None:
    rest.require("/api/studios", "/api/studio-invites/redeem")
    host, studio, people, code = _studio(rest, 3)
    sid = studio["id"]
    t = time.time()
    for title, kind, start in [("《秋天的雨》集体备课", "prep", t + 3600), ("《秋天的雨》第一次试讲", "trial", t + 86400),
                               ("启动会", "live", t - 7200)]:  # fmt: skip
        rest.ok("POST", f"/api/studios/{sid}/rooms",
                {"room": {"title": title, "kind": kind, "starts_at": start, "ends_at": start + 3600}}, host["token"])  # fmt: skip
    rest.ok("POST", f"/api/studios/{sid}/cycles", {"title": "秋天的雨"}, host["token"])

    newcomer = rest.register("新学员", "第三小学")
    page = web.page(newcomer, label="newcomer")
    page.goto(f"{web.base}/studio-join/{urllib.parse.quote(code)}")
    expect(page.get_by_test_id("studio-preview-name")).to_have_text("王老师语文名师工作室")
    page.locator("#join-studio").click()
    expect(page.get_by_test_id("studio-name")).to_have_text("王老师语文名师工作室")
    # a new member sees the upcoming activities at once, with the room role their studio role gives
    upcoming = page.get_by_test_id("studio-upcoming")
    expect(upcoming.locator("li")).to_have_count(2)
    expect(upcoming.locator("li").first).to_contain_text("《秋天的雨》集体备课")
    expect(upcoming.locator("li").first).to_contain_text("观课教师")
    expect(page.get_by_test_id("studio-past").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("studio-counts")).to_contain_text("核心成员 1/10 人 + 学员 4/100 人")
    expect(page.get_by_test_id("studio-cycles")).to_contain_text("《秋天的雨》")
    expect(page.locator("#studio-library[data-slot=library]")).to_be_visible()
    expect(page.locator("#open-library")).to_have_attribute("href", f"/studios/{sid}/library")
    expect(page.locator("#studio-records[data-slot=records]")).to_be_visible()
    assert page.locator("#new-cycle-form").count() == 0  # a participant does not run cycles
    # the member reaches the room without a room invite
    upcoming.get_by_role("link", name="《秋天的雨》集体备课").click()
    expect(page).to_have_url(re.compile(r"/rooms/[0-9a-f]+$"))
    expect(page.locator("main h1")).to_have_text("《秋天的雨》集体备课")

    desk = web.page(host, label="host-desktop")
    desk.goto(f"{web.base}/studios/{sid}")
    members = desk.get_by_test_id("studio-members")
    expect(members.locator(".member-group")).to_have_count(3)
    expect(members).to_contain_text("新学员")
    expect(desk.locator("#new-cycle-form")).to_be_visible()
    assert fits_width(desk)
    _full_shot(web, desk, "studio-home-desktop")

    phone = web.page(host, label="host-phone", phone=True)
    phone.goto(f"{web.base}/studios/{sid}")
    expect(phone.get_by_test_id("studio-members")).to_contain_text("新学员")
    expect(phone.get_by_test_id("studio-upcoming").locator("li")).to_have_count(2)
    phone.locator("details.studio-invites > summary").click()
    expect(phone.get_by_test_id("studio-invites").locator("li")).to_have_count(2)
    assert fits_width(phone), "the studio home scrolls sideways on a phone"
    _full_shot(web, phone, "studio-home-phone")

    # a participant removed while in a studio room is taken out of it at once
    prep_id = next(a["room"]["id"] for a in rest.ok("GET", f"/api/studios/{sid}/rooms", None, host["token"])
                   if a["room"]["kind"] == "prep")  # fmt: skip
    rest.ok("POST", f"/api/rooms/{prep_id}/docs", {"title": "《秋天的雨》教案"}, host["token"])
    removed = people[0]
    inside = web.page(removed, label="removed")
    inside.goto(f"{web.base}/rooms/{prep_id}/prep")
    expect(inside.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    web.expect_console_error("/collab/")  # the plan's websocket is refused once the access is gone
    rest.ok("DELETE", f"/api/studios/{sid}/members/{removed['user']['id']}", None, host["token"])
    expect(inside.locator(".toast.error")).to_contain_text("您已不在这个活动的工作室中")
    expect(inside).to_have_url(f"{web.base}/")

    # leaving: the activities are gone for the newcomer
    page.goto(f"{web.base}/studios/{sid}")
    page.once("dialog", lambda d: d.accept())
    page.locator("#leave-studio").click()
    expect(page.get_by_test_id("my-studios")).to_contain_text("您还没有加入任何工作室")

    # the host archives the studio: it says so, and its rooms are no longer reached by the studio role
    desk.goto(f"{web.base}/studios/{sid}")
    desk.once("dialog", lambda d: d.accept())
    desk.locator("#archive-studio").click()
    expect(desk.get_by_test_id("studio-archived")).to_have_text("已归档")
    status, _ = rest.call("GET", f"/api/rooms/{prep_id}", None, people[1]["token"])
    assert status == 403


def test_a_cycle_from_the_cycle_view_on_desktop_and_phone(web: Browser, rest: Rest) -> None:
    rest.require("/api/studios/{studio_id}/cycles", "/api/cycles/{cycle_id}")
    host, studio, people, _code = _studio(rest, 4)
    core = studio["core"]
    cycle = rest.ok("POST", f"/api/studios/{studio['id']}/cycles", {"title": "秋天的雨"}, host["token"])
    prep = rest.ok("POST", f"/api/cycles/{cycle['id']}/steps", {"stage": "prep"}, core["token"])

    # 集体备课: the core member writes the lesson's title into the plan (default role: editor)
    editor = web.page(core, label="core")
    editor.goto(f"{web.base}/rooms/{prep['room']['id']}/docs/{prep['doc_id']}")
    expect(editor.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    editor.locator(".ProseMirror > p").first.click()
    editor.keyboard.press("End")
    editor.keyboard.type("秋天的雨")
    _until("the edit stored", lambda: _export_has(rest, core["token"], prep["doc_id"], "秋天的雨"))

    # the next step, added with a click in the cycle view, opens with that plan
    view = web.page(core, label="cycle")
    view.goto(f"{web.base}/cycles/{cycle['id']}")
    expect(view.get_by_test_id("cycle-title")).to_have_text("《秋天的雨》课例研磨")
    view.locator("select[name=stage]").select_option("trial")
    view.locator("#add-step").click()
    steps = view.get_by_test_id("cycle-steps").locator("li")
    expect(steps).to_have_count(2)
    expect(steps.nth(1)).to_contain_text("第一次试讲")
    trial1 = rest.ok("GET", f"/api/cycles/{cycle['id']}", None, core["token"])["cycle"]["steps"][1]
    assert _export_has(rest, core["token"], trial1["doc_id"], "秋天的雨")
    editor.goto(f"{web.base}/rooms/{trial1['room']['id']}/docs/{trial1['doc_id']}")
    expect(editor.locator(".ProseMirror")).to_contain_text("秋天的雨")  # 第一次试讲 opened with it
    expect(editor.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    editor.locator(".ProseMirror > p").nth(1).click()
    editor.keyboard.press("End")
    editor.keyboard.type("增加朗读指导")
    _until("the revision stored", lambda: _export_has(rest, core["token"], trial1["doc_id"], "增加朗读指导"))
    # the participants score the first trial; the second scores higher
    rest.ok("POST", f"/api/rooms/{trial1['room']['id']}/rubrics", {"template": "general"}, core["token"])
    for p, score in zip(people, (3, 3, 4, 2), strict=True):  # goals 3 on average; the others around it
        body = {"scores": [{"criterion": k, "score": max(1, score - i % 2)} for i, k in enumerate(GENERAL)]}
        rest.ok("PUT", f"/api/rooms/{trial1['room']['id']}/segments/lesson/evaluation", body, p["token"])
    view.locator("select[name=stage]").select_option("trial")
    view.locator("#add-step").click()
    expect(steps).to_have_count(3)
    trial2 = rest.ok("GET", f"/api/cycles/{cycle['id']}", None, core["token"])["cycle"]["steps"][2]
    rec1 = _record(web, rest, core, trial1["room"]["id"], "第一小学")
    rec2 = _record(web, rest, core, trial2["room"]["id"], "第二小学")
    for p, score in zip(people, (4, 5, 4, 5), strict=True):  # goals 4.5 on average
        body = {"scores": [{"criterion": k, "score": score - i % 3 // 2} for i, k in enumerate(GENERAL)]}
        rest.ok("PUT", f"/api/rooms/{trial2['room']['id']}/segments/lesson/evaluation", body, p["token"])

    viewer = web.page(people[0], label="participant")
    viewer.goto(f"{web.base}/cycles/{cycle['id']}")
    drafts = viewer.get_by_test_id("cycle-drafts").locator("li")
    expect(drafts).to_have_count(2)
    expect(drafts.nth(0)).to_contain_text("第一稿")
    expect(drafts.nth(1)).to_contain_text("第二稿")
    expect(viewer.locator("details.draft-diff ins")).to_contain_text("增加朗读指导")
    table = viewer.get_by_test_id("criteria-table")
    expect(table.locator("thead th")).to_have_text(["评价项目", "第一次试讲", "第二次试讲"])
    expect(table.locator("tr[data-criterion=goals] td")).to_have_text(["3", "4.5"])
    expect(viewer.locator("svg.criteria-chart polyline")).to_have_count(len(GENERAL))
    # both trials' recordings, playable by a participant through their default room role
    for rec in (rec1, rec2):
        video = viewer.locator(f"video[data-recording-id='{rec}']")
        expect(video).to_have_count(1)
        viewer.wait_for_function("el => el.readyState >= 1 && el.duration > 0", arg=video.element_handle())
    assert viewer.locator("#add-step").count() == 0  # a participant does not run the cycle
    assert fits_width(viewer)
    _full_shot(web, viewer, "cycle-view-desktop")

    phone = web.page(people[1], label="participant-phone", phone=True)
    phone.goto(f"{web.base}/cycles/{cycle['id']}")
    expect(phone.get_by_test_id("criteria-table").locator("tr[data-criterion=goals] td")).to_have_text(
        ["3", "4.5"]
    )
    assert fits_width(phone), "the cycle view scrolls sideways on a phone"
    _full_shot(web, phone, "cycle-view-phone")
