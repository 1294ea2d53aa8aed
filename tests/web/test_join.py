"""Joining a room in Chromium as a registered user: redeem an invite from its link, and from a code typed
on /join; a bad code is refused plainly."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, room_with_invite


def test_registered_user_redeems_invite_link_and_code(web: Browser, rest: Rest) -> None:
    rest.require("/api/invites/redeem")
    host = rest.register("赵主持")
    teacher = rest.register("孙老师", "四小")
    room_a, code_a = room_with_invite(rest, host, "editor", title="第一次集体备课")
    room_b, code_b = room_with_invite(rest, host, "observer", title="第二次展示交流", kind="showcase")
    page = web.page(teacher, label="teacher")

    # the link: the preview says which room and role, one click joins as oneself
    page.goto(f"{web.base}/join/{code_a}")
    expect(page.get_by_text("第一次集体备课")).to_be_visible()
    expect(page.get_by_text("加入后的身份：参与教师")).to_be_visible()
    web.shot(page, "join-registered-link-zh")
    page.get_by_role("button", name="以 孙老师 的身份加入").click()
    expect(page).to_have_url(f"{web.base}/rooms/{room_a}")
    expect(page.get_by_test_id("my-role")).to_have_text("参与教师")

    # the code, typed: a wrong one first
    page.goto(f"{web.base}/join")
    code = page.get_by_label("邀请码")
    web.expect_console_error("status of 404")
    code.fill("ZZZZ2222")
    code.press("Tab")
    expect(page.locator("#join-form").get_by_role("alert")).to_have_text("邀请码无效、已过期或已用完")
    code.fill(code_b)
    code.press("Tab")
    expect(page.get_by_text("第二次展示交流")).to_be_visible()
    page.get_by_role("button", name="以 孙老师 的身份加入").click()
    expect(page).to_have_url(f"{web.base}/rooms/{room_b}")
    expect(page.get_by_test_id("my-role")).to_have_text("观课教师")

    # both rooms are now the teacher's
    page.get_by_role("link", name="磨课 · 网络教研").click()
    mine = page.get_by_test_id("rooms-mine")
    expect(mine.get_by_role("link", name="第一次集体备课")).to_be_visible()
    expect(mine.get_by_role("link", name="第二次展示交流")).to_be_visible()
