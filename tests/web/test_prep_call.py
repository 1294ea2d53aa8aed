"""The 网络集体备课 screen (/rooms/{id}/prep) in Chromium: two editors raise hands, the host grants their
seats from the call panel beside the plan, both unmute and hear each other (their pages' inbound audio
keeps arriving and playing out) while each one's edits reach the other; "who is editing where" names the
other's section; collapsing the panel keeps the audio flowing; the lead teacher's 说课 video shows large
while she presents; at phone widths (375×667, 390×844) the panel is a strip of tiles, nothing scrolls
sideways and every control is at least 44 px."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, audio_grows, fits_width, room_with_invite, spy_peer_connections

# Visible controls on the screen smaller than a 44 px touch target.
SMALL_TARGETS = """
() => [...document.querySelectorAll(
  '.prep-screen button, .prep-screen input, .prep-screen select, .prep-screen summary')]
  .filter((el) => el.offsetParent !== null && el.type !== 'checkbox')
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([, r]) => r.height < 44 || r.width < 44)
  .map(([el, r]) => `${el.tagName} ${el.id || el.textContent.trim().slice(0, 12)} ${r.width}x${r.height}`)
"""


def _member(rest: Rest, host: dict[str, Any], room_id: str, name: str, role: str) -> dict[str, Any]:
    user = rest.register(name, "三小")
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": role}, host["token"])["code"]
    rest.ok("POST", "/api/invites/redeem", {"code": code}, user["token"])
    return user


def _prep_room(rest: Rest) -> tuple[dict[str, Any], str]:
    """A host and her room with a lesson plan (集体备课): (the host's session, the room id)."""
    rest.require("/api/rooms/{room_id}/docs")
    host = rest.register("王老师", "教育中心")
    room_id, _ = room_with_invite(rest, host, "observer")
    rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "《秋天的雨》教案", "template": "lesson_plan"},
            host["token"])  # fmt: skip
    return host, room_id


def _open(web: Browser, session: dict[str, Any], url: str, label: str, phone: bool = False) -> Any:
    page = web.page(session, label=label, phone=phone)
    spy_peer_connections(page)
    page.goto(url)
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    expect(page.locator(".ProseMirror")).to_contain_text("教学目标")
    expect(page.locator("#raise-hand")).to_be_visible()  # the call panel joined the room
    return page


def _take_seat(page: Any, host: Any, name: str) -> None:
    """Raise a hand on ``page``; the host grants the seat from the call panel; the seat holder unmutes."""
    page.locator("#raise-hand").click()
    hand = host.get_by_test_id("seat-queue").locator("li", has_text=name)
    hand.get_by_role("button", name="给予席位").click()
    expect(page.get_by_text("您已获得发言席位")).to_be_visible()
    page.locator("#toggle-mic").click()
    expect(page.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")


def test_two_editors_talk_on_seats_while_editing_and_collapsing_keeps_audio(web: Browser, rest: Rest) -> None:
    host, room_id = _prep_room(rest)
    li = _member(rest, host, room_id, "李老师", "presenter")  # the lead teacher (主备教师), at her venue
    rest.ok("POST", f"/api/rooms/{room_id}/venues", {"name": "三小", "presenter_id": li["user"]["id"]},
            host["token"])  # fmt: skip
    chen = _member(rest, host, room_id, "陈老师", "editor")
    url = f"{web.base}/rooms/{room_id}/prep"

    boss = _open(web, host, url, "host")
    a = _open(web, li, url, "li")
    b = _open(web, chen, url, "chen")
    assert a.url == url  # the screen keeps its address (a reload opens it again)

    _take_seat(a, boss, "李老师")
    _take_seat(b, boss, "陈老师")
    # each page shows the other's tile, marked as speaking, and hears them
    expect(a.get_by_test_id(f"seat-{chen['user']['id']}")).to_be_attached()
    expect(a.locator(f".tile[data-seat='{chen['user']['id']}']")).to_have_attribute("data-mic", "true")
    expect(b.locator(f".tile[data-seat='{li['user']['id']}']")).to_have_attribute("data-mic", "true")
    audio_grows(a)
    audio_grows(b)
    # and plays it with sound: the browser allowed it after the clicks that took the seat
    expect(a.get_by_test_id(f"seat-{chen['user']['id']}")).to_have_js_property("muted", False)

    # they edit while talking: each one's text reaches the other
    a.locator(".ProseMirror > p").first.click()
    a.keyboard.press("End")
    a.keyboard.type("《秋天的雨》第一课时")
    expect(b.locator(".ProseMirror")).to_contain_text("《秋天的雨》第一课时")
    b.locator(".ProseMirror > p").nth(1).click()
    b.keyboard.press("End")
    b.keyboard.type("语文三年级上册")
    expect(a.locator(".ProseMirror")).to_contain_text("语文三年级上册")
    # who is editing where: A sees B's cursor in the 学科/年级 section, B sees A's in 课题
    expect(a.get_by_test_id("editing").locator("li", has_text="陈老师")).to_contain_text("在「学科/年级」")
    expect(b.get_by_test_id("editing").locator("li", has_text="李老师")).to_contain_text("在「课题」")
    audio_grows(a)  # still talking after the typing
    expect(a.get_by_test_id(f"seat-{chen['user']['id']}")).to_have_js_property("muted", False)
    web.shot(a, "prep-call-desktop-zh")

    # collapse the panel: the plan takes the width, the tiles are out of sight, the audio keeps coming
    width = a.locator(".doc-col").evaluate("el => el.getBoundingClientRect().width")
    a.locator("#call-toggle").click()
    expect(a.get_by_test_id("call-panel")).to_have_attribute("data-collapsed", "true")
    expect(a.get_by_test_id(f"seat-{chen['user']['id']}")).to_be_hidden()
    wider = a.locator(".doc-col").evaluate("el => el.getBoundingClientRect().width")
    assert wider > width + 150, (width, wider)
    audio_grows(a)
    b.keyboard.type("，第二课时")  # editing goes on with the panel collapsed
    expect(a.locator(".ProseMirror")).to_contain_text("语文三年级上册，第二课时")
    audio_grows(a)
    web.shot(a, "prep-call-collapsed-desktop-zh")
    a.locator("#call-toggle").click()
    expect(a.get_by_test_id(f"seat-{chen['user']['id']}")).to_be_visible()

    # 说课: the lead teacher presents with her camera; the others see it large in the panel, then it goes
    a.locator("#present").click()
    expect(a.locator("#present")).to_have_attribute("aria-pressed", "true")
    expect(b.get_by_test_id("talk")).to_contain_text("说课：李老师")
    talk = b.get_by_test_id("talk-video").element_handle()
    b.wait_for_function("el => el.videoWidth > 0 && el.currentTime > 0.3", arg=talk, timeout=30_000)
    web.shot(b, "prep-call-talk-desktop-zh")
    a.locator("#present").click()
    expect(b.get_by_test_id("talk")).to_be_hidden()


def test_phone_widths_show_a_strip_of_tiles_without_sideways_scroll(web: Browser, rest: Rest) -> None:
    host, room_id = _prep_room(rest)
    li = _member(rest, host, room_id, "李老师", "editor")
    url = f"{web.base}/rooms/{room_id}/prep"
    boss = _open(web, host, url, "host")
    phone = _open(web, li, url, "phone", phone=True)
    _take_seat(phone, boss, "李老师")
    phone.locator("#toggle-camera").click()
    expect(phone.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_test_id(f"seat-{li['user']['id']}")).to_be_visible()

    for size, name in (({"width": 375, "height": 667}, "375"), ({"width": 390, "height": 844}, "390")):
        phone.set_viewport_size(size)
        phone.evaluate("window.scrollTo(0, 0)")
        # the call panel comes first, as a strip above the plan
        strip = phone.locator(".call-main").bounding_box()
        plan = phone.locator(".doc-col").bounding_box()
        assert strip is not None and plan is not None and strip["y"] < plan["y"]
        assert fits_width(phone), name
        assert phone.evaluate(SMALL_TARGETS) == [], name
        web.shot(phone, f"prep-call-phone-{name}-zh")
        phone.locator(".ProseMirror > p").first.click()
        phone.keyboard.type("手机上也能改")
        assert fits_width(phone), name

    phone.evaluate("window.scrollTo(0, 0)")
    phone.locator("#call-toggle").click()
    expect(phone.get_by_test_id("call-panel")).to_have_attribute("data-collapsed", "true")
    assert fits_width(phone)
    assert phone.evaluate(SMALL_TARGETS) == []
    web.shot(phone, "prep-call-phone-collapsed-zh")
    expect(boss.locator(".ProseMirror")).to_contain_text("手机上也能改手机上也能改")


def test_a_host_on_a_phone_sees_the_seat_queue_as_one_line_until_a_hand_goes_up(
    web: Browser, rest: Rest
) -> None:
    host, room_id = _prep_room(rest)
    li = _member(rest, host, room_id, "李老师", "editor")
    url = f"{web.base}/rooms/{room_id}/prep"
    boss = _open(web, host, url, "host-phone", phone=True)
    admin = boss.locator("details.seat-admin")
    expect(admin).not_to_have_attribute("open", "")
    expect(boss.locator(".floor-row")).to_contain_text("举手 0 人")  # the counts, on one line
    desk = _open(web, li, url, "li")
    assert desk.locator("details.seat-admin").count() == 0  # an editor does not run the floor
    desk.locator("#raise-hand").click()
    expect(admin).to_have_attribute("open", "")
    expect(boss.locator(".floor-row")).to_contain_text("举手 1 人")
    expect(admin.get_by_test_id("seat-queue")).to_contain_text("李老师")
    assert boss.get_by_text("举手 1 人").count() == 1  # said once, not again inside the queue
    web.shot(boss, "prep-call-phone-host-hand-up-zh")
