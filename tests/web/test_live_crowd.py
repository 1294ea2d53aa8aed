"""The live page in a crowd: 300 guests from four schools online (real Socket.IO connections) appear as
counts per school with a search, not a 300-line list; a moderator's slow mode and moderator-only mode reach
every open page, and the refused sender is told why."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.crowd import Crowd
from tests.support.web import PHONE, Browser, Rest, fits_width, room_with_invite

SCHOOLS = {"第三小学": 120, "城关中学": 80, "实验小学": 60, "第一中学": 40}


def test_a_300_member_room_shows_counts_per_school_with_search(web: Browser, rest: Rest) -> None:
    host = rest.register("赵主持", "县教研室")
    room_id, code = room_with_invite(
        rest, host, "observer", kind="showcase", title="《秋天的雨》网络展示交流"
    )
    with Crowd(web.base, room_id, code, SCHOOLS) as crowd:
        page = web.page(host, label="host")
        page.goto(f"{web.base}/rooms/{room_id}/live")
        total = page.get_by_test_id("presence-total")
        expect(total).to_have_text("在线 301 人 · 5 所学校")
        schools = page.get_by_test_id("schools").locator(":scope > li")
        expect(schools).to_have_count(5)
        # biggest first, one line per school: no line per person until a school is opened
        expect(schools.first.locator("summary")).to_have_text(re.compile(r"^第三小学\s*120 人$"))
        for name, n in SCHOOLS.items():
            expect(page.locator(f"li[data-school='{name}'] [data-testid=school-count]")).to_have_text(
                f"{n} 人"
            )
        assert page.get_by_test_id("presence").locator("strong").count() == 0
        web.shot(page, "live-crowd-schools-zh")

        search = page.locator("#presence-search")
        search.fill("城关")
        expect(schools).to_have_count(1)
        expect(schools.first.locator("summary")).to_have_text(re.compile(r"^城关中学\s*80 人$"))
        # a teacher's name finds her school, opened on her line
        search.fill("实验小学007号")
        expect(schools).to_have_count(1)
        expect(schools.first.locator("details")).to_have_attribute("open", "")
        expect(schools.first.locator(".presence li")).to_have_count(1)
        expect(schools.first.locator(".presence li")).to_contain_text("实验小学007号")
        search.fill("没有这所学校")
        expect(schools).to_have_count(0)
        expect(page.get_by_text("没有匹配的学校或老师")).to_be_visible()
        search.fill("")
        # an opened school lists its people (and stays open while the counts change)
        page.locator("li[data-school='第一中学'] summary").click()
        expect(page.locator("li[data-school='第一中学'] .presence li")).to_have_count(40)
        crowd.leave(10, "第三小学")
        expect(page.locator("li[data-school='第三小学'] [data-testid=school-count]")).to_have_text("110 人")
        expect(total).to_have_text("在线 291 人 · 5 所学校")
        expect(page.locator("li[data-school='第一中学'] details")).to_have_attribute("open", "")

        phone = web.page(host, label="host-phone", phone=PHONE)
        phone.goto(f"{web.base}/rooms/{room_id}/live")
        # the host's second device is the same person: still 291
        expect(phone.get_by_test_id("presence-total")).to_have_text("在线 291 人 · 5 所学校")
        phone.get_by_test_id("schools").scroll_into_view_if_needed()
        assert fits_width(phone)
        web.shot(phone, "live-crowd-schools-phone-zh")


def test_slow_mode_and_moderator_only_mode_on_the_live_page(web: Browser, rest: Rest) -> None:
    host = rest.register("赵主持", "县教研室")
    room_id, code = room_with_invite(rest, host, "observer", kind="showcase")
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "李老师", "school": "三小"})
    live = f"{web.base}/rooms/{room_id}/live"
    mod = web.page(host, label="host")
    mod.goto(live)
    obs = web.page(guest, label="observer")
    obs.goto(live)
    expect(obs.locator("#chat-input")).to_be_enabled()
    expect(obs.locator("#chat-slow")).to_be_hidden()  # the switches are the moderators'
    expect(obs.get_by_test_id("chat-mode")).to_be_hidden()

    mod.locator("#chat-slow").select_option("30")
    note = obs.get_by_test_id("chat-mode")
    expect(note).to_have_text("慢速模式：每人每 30 秒一条")
    obs.locator("#chat-input").fill("三小已就位")
    obs.locator("#chat-input").press("Enter")
    expect(mod.get_by_test_id("chat")).to_contain_text("三小已就位")
    obs.locator("#chat-input").fill("再补充一句")
    obs.locator("#chat-input").press("Enter")
    alert = obs.locator(".chat-box").get_by_role("alert")
    expect(alert).to_have_text(re.compile(r"^慢速模式：每人每 30 秒只能发一条，请 \d+ 秒后再发$"))
    expect(obs.locator("#chat-input")).to_have_value("再补充一句")  # not lost
    web.shot(obs, "live-chat-slow-refused-zh")

    mod.locator("#chat-moderated").click()
    expect(mod.locator("#chat-moderated")).to_have_attribute("aria-pressed", "true")
    expect(note).to_have_text("仅主持人可以发言 · 慢速模式：每人每 30 秒一条")
    expect(obs.locator("#chat-input")).to_be_disabled()
    expect(obs.locator("#voice-record")).to_be_disabled()
    mod.locator("#chat-input").fill("请各校关闭麦克风")
    mod.locator("#chat-input").press("Enter")
    expect(obs.get_by_test_id("chat")).to_contain_text("请各校关闭麦克风")
    # the mode is the room's: a page opened later finds it
    obs.reload()
    expect(obs.get_by_test_id("chat-mode")).to_have_text("仅主持人可以发言 · 慢速模式：每人每 30 秒一条")
    expect(obs.locator("#chat-input")).to_have_attribute("placeholder", "主持人开启了“仅主持人发言”")
    web.shot(obs, "live-chat-moderated-zh")
    web.shot(mod, "live-chat-modes-moderator-zh")

    mod.locator("#chat-moderated").click()
    mod.locator("#chat-slow").select_option("0")
    expect(obs.get_by_test_id("chat-mode")).to_be_hidden()
    expect(obs.locator("#chat-input")).to_be_enabled()
    obs.locator("#chat-input").fill("谢谢主持人")
    obs.locator("#chat-input").press("Enter")
    expect(mod.get_by_test_id("chat")).to_contain_text("谢谢主持人")
