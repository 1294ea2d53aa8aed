"""听评课 in Chromium: the host picks a rubric template, an observer writes a shared observation note and
scores the lesson, the host sees the note and the aggregate."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import Browser, Rest, room_with_invite


def test_rubric_note_score_aggregate(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/evaluation", "/api/rooms/{room_id}/notes")
    host = rest.register("王主持")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})
    url = f"{web.base}/rooms/{room_id}/evaluate"

    hp = web.page(host, label="host")
    hp.goto(f"{web.base}/rooms/{room_id}")
    hp.locator("#go-evaluate").click()
    hp.get_by_role("button", name="使用此量表").click()
    expect(hp.get_by_role("heading", name="评分 课堂教学评价量表")).to_be_visible()

    op = web.page(guest, label="observer")
    op.goto(url)
    op.locator("#note-text").fill("学生朗读很投入")
    op.get_by_role("button", name="记录").click()
    expect(op.get_by_test_id("notes")).to_contain_text("学生朗读很投入")
    selects = op.locator("select[data-criterion]")
    assert selects.count() >= 3
    for i in range(selects.count()):
        selects.nth(i).select_option(index=4)
    op.get_by_role("button", name="提交评分").click()
    expect(op.get_by_test_id("score-status")).to_have_text("评分已提交")
    web.shot(op, "evaluate-observer-zh")

    hp.get_by_role("button", name="刷新", exact=True).click()
    expect(hp.get_by_test_id("aggregate")).to_contain_text("已有 1 份评分")
    hp.reload()
    expect(hp.get_by_test_id("notes")).to_contain_text("学生朗读很投入")  # shared notes reach the host
    web.shot(hp, "evaluate-host-zh")
