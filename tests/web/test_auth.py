"""The log-in form in Chromium: a wrong password is said plainly and nothing else happens; the right one
signs in and goes where the visitor was heading."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest


def test_login_wrong_password_then_right_one(web: Browser, rest: Rest) -> None:
    user = rest.register("钱老师", "二小")
    room_id = rest.ok("POST", "/api/rooms", {"title": "教研活动", "kind": "prep"}, user["token"])["id"]
    page = web.page(label="visitor")
    # a room link opened before logging in leads to the log-in page, and back after it
    page.goto(f"{web.base}/rooms/{room_id}/live")
    expect(page).to_have_url(f"{web.base}/login?next=%2Frooms%2F{room_id}%2Flive")
    form = page.locator("#login-form")
    form.get_by_label("用户名").fill(user["username"])
    form.get_by_label("密码").fill("not the password")
    web.expect_console_error("status of 401")
    with page.expect_response("**/api/auth/login") as resp:
        form.get_by_role("button", name="登录").click()
    assert resp.value.status == 401
    expect(form.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(form.get_by_role("button", name="登录")).to_be_enabled()
    assert page.evaluate("localStorage.getItem('moke.session')") is None
    web.shot(page, "login-wrong-password-zh")

    form.get_by_label("密码").fill(user["password"])
    form.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{web.base}/rooms/{room_id}/live")
    expect(page.get_by_test_id("whoami")).to_have_text("钱老师")
    expect(page.get_by_test_id("my-role")).to_have_text("主持人")
