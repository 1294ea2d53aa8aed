"""Entry pages in Chromium: register, create a room, manage invites (code, link, QR) and venues;
Chinese by default, English when switched; a guest joins with an invite link and chats."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, room_with_invite


def test_register_create_room_manage_invites_in_chinese_then_english(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms", "/api/rooms/{room_id}/invites", "/api/rooms/{room_id}/venues")
    page = web.page(label="host")
    page.goto(web.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="磨课 · 网络教研")).to_be_visible()
    web.shot(page, "entry-home-zh")

    form = page.locator("#register-form")
    form.get_by_label("用户名").fill(f"wang{rest.register('x')['user']['id']}")
    form.get_by_label("姓名").fill("王老师")
    form.get_by_label("学校").fill("教育中心")
    form.get_by_label("密码").fill("correct horse battery")
    form.get_by_role("button", name="注册").click()
    expect(page.get_by_role("heading", name="王老师，您好")).to_be_visible()

    page.get_by_role("link", name="创建活动").click()
    page.get_by_label("活动名称").fill("《秋天的雨》网络展示交流")
    page.get_by_label("活动类型").select_option("showcase")
    page.get_by_label("学科").fill("语文")
    page.get_by_label("年级").fill("三年级")
    page.get_by_role("button", name="创建活动").click()
    expect(page.get_by_role("heading", name="《秋天的雨》网络展示交流")).to_be_visible()
    expect(page.get_by_test_id("my-role")).to_have_text("主持人")
    room_id = page.url.rstrip("/").split("/")[-1]

    invites = page.locator("#invites")
    expect(invites.get_by_text("还没有有效的邀请")).to_be_visible()
    invites.get_by_role("button", name="生成邀请").click()
    code = invites.locator(".invite-code").first
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{8}$"))
    link = invites.locator("input.invite-link").first
    expect(link).to_have_value(f"{web.base}/join/{code.inner_text()}")
    qr = invites.locator("img.qr").first
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert qr.evaluate("img => img.naturalWidth") > 0

    venues = page.locator("#venues")
    venues.get_by_label("会场名称").fill("三小")
    venues.get_by_label("所在学校").fill("第三小学")
    venues.get_by_role("button", name="添加会场").click()
    expect(venues.get_by_text("第三小学")).to_be_visible()
    # the agenda editor offers the new venue
    agenda = page.locator("#agenda")
    agenda.get_by_role("button", name="添加环节").click()
    agenda.get_by_label("环节名称").fill("第一课时")
    agenda.get_by_label("主会场").select_option(label="三小")
    agenda.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    saved = rest.ok(
        "GET",
        f"/api/rooms/{room_id}/agenda",
        token=page.evaluate("JSON.parse(localStorage.getItem('moke.session')).token"),
    )
    assert [s["title"] for s in saved["segments"]] == ["第一课时"]
    web.shot(page, "room-manage-zh")

    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Invites")).to_be_visible()
    expect(page.get_by_role("button", name="Create invite")).to_be_visible()
    expect(page.get_by_test_id("my-role")).to_have_text("Host")
    web.shot(page, "room-manage-en")
    page.reload()  # the choice is remembered
    expect(page.get_by_role("heading", name="Venues")).to_be_visible()
    page.locator("#lang-switch").click()
    expect(page.get_by_role("heading", name="会场")).to_be_visible()

    page.get_by_role("link", name="磨课 · 网络教研").click()
    expect(
        page.get_by_test_id("rooms-mine").get_by_role("link", name="《秋天的雨》网络展示交流")
    ).to_be_visible()


def test_guest_joins_with_invite_link_and_chats(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms", "/api/rooms/{room_id}/chat")
    host = rest.register("赵主持", "教育中心")
    room_id, code = room_with_invite(rest, host, "observer")

    host_page = web.page(host, label="host")
    host_page.goto(f"{web.base}/rooms/{room_id}/live")
    expect(host_page.locator("#chat-input")).to_be_visible()

    guest = web.page(label="guest")
    guest.goto(f"{web.base}/join/{code}")
    expect(guest.get_by_text("《秋天的雨》集体备课")).to_be_visible()  # the invite preview
    expect(guest.get_by_text("加入后的身份：观课教师")).to_be_visible()
    guest.get_by_label("姓名").fill("李老师")
    guest.get_by_label("学校").fill("三小")
    web.shot(guest, "join-guest-zh")
    guest.get_by_role("button", name="以访客身份加入").click()
    expect(guest.get_by_test_id("my-role")).to_have_text("观课教师")
    assert guest.url.endswith(f"/rooms/{room_id}")
    expect(guest.locator("#go-console")).to_have_count(0)  # observers get no console
    guest.locator("#go-live").click()

    expect(host_page.get_by_test_id("presence")).to_contain_text("李老师")
    guest.locator("#chat-input").fill("各位老师好，三小已就位")
    guest.locator("#chat-input").press("Enter")
    expect(host_page.get_by_test_id("chat")).to_contain_text("各位老师好，三小已就位")
    expect(host_page.get_by_test_id("chat").locator(".msg").last.locator(".author")).to_have_text("李老师")
    host_page.locator("#chat-input").fill("欢迎李老师")
    host_page.get_by_role("button", name="发送").click()
    expect(guest.get_by_test_id("chat")).to_contain_text("欢迎李老师")
    web.shot(guest, "live-chat-guest-zh")

    # history: a reload shows what was said before
    host_page.reload()
    expect(host_page.get_by_test_id("chat")).to_contain_text("各位老师好，三小已就位")
    expect(host_page.get_by_test_id("chat")).to_contain_text("欢迎李老师")
