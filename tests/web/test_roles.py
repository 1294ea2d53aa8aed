"""Role changes in Chromium: the host makes an editor an observer while the editor has the lesson plan and
the live page open; the plan turns read-only and the live page's role label changes, without a reload;
made an editor again, the plan is writable again."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, room_with_invite


def test_host_changes_role_member_pages_follow(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/docs", "/api/rooms/{room_id}/members/{user_id}")
    host = rest.register("王主持")
    room_id, code = room_with_invite(rest, host, "editor")
    doc = rest.ok(
        "POST", f"/api/rooms/{room_id}/docs", {"title": "教案", "template": "lesson_plan"}, host["token"]
    )
    editor = rest.register("李老师", "三小")
    rest.ok("POST", "/api/invites/redeem", {"code": code}, editor["token"])

    plan = web.page(editor, label="editor-prep")
    plan.goto(f"{web.base}/rooms/{room_id}/docs/{doc['id']}")
    expect(plan.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    text = plan.locator(".ProseMirror")
    expect(text).to_contain_text("教学目标")
    expect(text).to_have_attribute("contenteditable", "true")
    expect(plan.locator(".toolbar")).to_be_visible()
    live = web.page(editor, label="editor-live")
    live.goto(f"{web.base}/rooms/{room_id}/live")
    expect(live.get_by_test_id("my-role")).to_have_text("参与教师")

    manage = web.page(host, label="host")
    manage.goto(f"{web.base}/rooms/{room_id}")
    manage.get_by_label("李老师 的身份").select_option("observer")
    expect(manage.get_by_text("已保存")).to_be_visible()

    expect(plan.get_by_test_id("readonly")).to_be_visible()
    expect(text).to_have_attribute("contenteditable", "false")
    expect(plan.locator(".toolbar")).to_be_hidden()
    expect(plan.get_by_text("您的身份已变更为：观课教师")).to_be_visible()
    expect(live.get_by_test_id("my-role")).to_have_text("观课教师")
    web.shot(plan, "prep-role-changed-readonly-zh")
    # the document connection was made again under the new role
    expect(plan.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    before = text.inner_text()
    plan.locator(".ProseMirror > p").first.click()
    plan.keyboard.type("不能再改")
    assert text.inner_text() == before

    manage.get_by_label("李老师 的身份").select_option("editor")
    expect(plan.get_by_test_id("readonly")).to_be_hidden()
    expect(text).to_have_attribute("contenteditable", "true")
    expect(live.get_by_test_id("my-role")).to_have_text("参与教师")
    expect(plan.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    plan.locator(".ProseMirror > p").first.click()
    plan.keyboard.press("End")
    plan.keyboard.type("又可以写了")
    # the server took the edit: a fresh page (a new connection) has it
    check = web.page(host, label="host-prep")
    check.goto(f"{web.base}/rooms/{room_id}/docs/{doc['id']}")
    expect(check.locator(".ProseMirror")).to_contain_text("又可以写了")
