"""Phones (Playwright device emulation with touch, 375×667 and 390×844): every page (home, log-in, join, new
room, room, prep, live, evaluate, replay, console, studios, studio, library, showcase, records, attendance,
not found) fits the width with no sideways scrolling, logs no console error and gives a finger 44 px targets;
on the live and 听评课 pages the video fills the width and the chat or note input stays visible with the
on-screen keyboard open; voice notes record while the button is held; WeChat's built-in browser is not turned
away, and is told what it lacks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.web import PHONES, WECHAT_UA, Browser, Rest, fits_width, small_targets

SIZES = [pytest.param(size, id=f"{size['width']}x{size['height']}") for size in PHONES]


def _room(rest: Rest) -> tuple[dict[str, Any], str, str]:
    """A host, her showcase room with a venue and an agenda, and an observer invite code."""
    host = rest.register("赵主持", "县教研室")
    room_id = rest.ok(
        "POST", "/api/rooms", {"title": "《秋天的雨》网络展示交流", "kind": "showcase", "subject": "语文"},
        host["token"],
    )["id"]  # fmt: skip
    venue = rest.ok(
        "POST", f"/api/rooms/{room_id}/venues", {"name": "三小", "school": "第三小学"}, host["token"]
    )
    segments = [{"title": "第一课时", "venue_id": venue["id"], "duration_minutes": 40}]
    rest.ok("PUT", f"/api/rooms/{room_id}/agenda", {"segments": segments}, host["token"])
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "observer"}, host["token"])["code"]
    return host, room_id, code


def _check(web: Browser, page: Any, name: str, problems: list[str]) -> None:
    page.wait_for_load_state("networkidle")
    web.shot(page, name)
    if not fits_width(page):
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """() => [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right
                 > window.innerWidth + 1).slice(0, 5).map((el) => el.tagName + '.' + el.className)"""
        )
        problems.append(f"{name}: {width} px wide ({wide})")
    small = small_targets(page)
    if small:
        problems.append(f"{name}: targets under 44 px: {small}")


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_a_phone_with_finger_sized_targets(
    web: Browser, rest: Rest, size: dict[str, int]
) -> None:
    host, room_id, code = _room(rest)
    tag = f"phone-{size['width']}x{size['height']}"
    problems: list[str] = []

    visitor = web.page(label="visitor", phone=size)
    for path, ready, name in [
        ("/", "#register-form", "home-visitor"),
        ("/login", "#login-form", "login"),
        (f"/join/{code}", "#join-form", "join-guest"),
    ]:
        visitor.goto(web.base + path)
        expect(visitor.locator(ready)).to_be_visible()
        _check(web, visitor, f"{tag}-{name}", problems)

    page = web.page(host, label="host", phone=size)
    base = f"{web.base}/rooms/{room_id}"
    body = {"name": "王老师语文名师工作室", "subject": "语文", "grade_band": "小学"}
    studio = rest.ok("POST", "/api/studios", body, host["token"])["id"]
    for url, ready, name in [
        (f"{web.base}/", "#new-room", "home"),
        (f"{web.base}/rooms/new", "#new-room-form", "room-new"),
        (f"{web.base}/join", "main form", "join-code"),
        (base, "[data-testid=my-role]", "room"),
        (f"{base}/prep", "[data-testid=conn][data-state=connected]", "prep"),
        (f"{base}/live", "#chat-input", "live"),
        (f"{base}/evaluate", "#note-text", "evaluate"),
        (f"{base}/replay", "[data-testid=no-recordings]", "replay"),
        (f"{base}/console", "#take", "console"),
        (f"{web.base}/studios", "main h1", "studios"),
        (f"{web.base}/studios/{studio}", "main h1", "studio"),
        (f"{web.base}/studios/{studio}/library", "main h1", "library"),
        (f"{web.base}/studios/{studio}/showcase", "main h1", "showcase"),
        (f"{web.base}/records", "main h1", "records"),
        (f"{base}/attendance", "main h1", "attendance"),
        (f"{web.base}/no/such/page", "main h1", "not-found"),
    ]:
        page.goto(url)
        expect(page.locator(ready).first).to_be_visible()
        _check(web, page, f"{tag}-{name}", problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES)
def test_live_and_evaluate_video_fills_the_width_and_inputs_stay_above_the_keyboard(
    web: Browser, rest: Rest, size: dict[str, int]
) -> None:
    _, room_id, code = _room(rest)
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "李老师", "school": "三小"})
    page = web.page(guest, label="observer", phone=size)
    for path, field in [("live", "#chat-input"), ("evaluate", "#note-text")]:
        page.set_viewport_size(size)
        page.goto(f"{web.base}/rooms/{room_id}/{path}")
        video = page.get_by_test_id("program-video")
        expect(video).to_be_visible()
        box = video.bounding_box()
        assert box is not None and box["x"] <= 0.5 and box["width"] >= size["width"] - 1, (path, box)
        # the on-screen keyboard opens: it takes the lower 40 % of the screen, and the field follows it
        page.locator(field).focus()
        page.set_viewport_size({"width": size["width"], "height": int(size["height"] * 0.6)})
        page.wait_for_function(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect(); const vv = visualViewport;
                 return r.top >= vv.offsetTop && r.bottom <= vv.offsetTop + vv.height; }""",
            arg=field,
        )
        expect(page.locator(field)).to_be_focused()
        web.shot(page, f"phone-{size['width']}x{size['height']}-{path}-keyboard")
        assert fits_width(page)
    # typing and sending with the keyboard open works
    page.goto(f"{web.base}/rooms/{room_id}/live")
    page.locator("#chat-input").fill("手机上也能发言")
    page.locator("#chat-input").press("Enter")
    expect(page.get_by_test_id("chat")).to_contain_text("手机上也能发言")


def test_a_voice_note_records_while_the_button_is_held(web: Browser, rest: Rest) -> None:
    _, room_id, code = _room(rest)
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "李老师", "school": "三小"})
    page = web.page(guest, label="observer", phone=True)
    page.goto(f"{web.base}/rooms/{room_id}/live")
    button = page.locator("#voice-record")
    expect(button).to_have_text("按住录音")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    touch = page.context.new_cdp_session(page)
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text(re.compile(r"^松开发送 0:0[2-9]$"))  # held for two seconds
    web.shot(page, "phone-voice-holding")
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("chat").locator(".voice audio")).to_have_count(1)
    expect(page.get_by_test_id("chat").locator(".msg .author")).to_have_text(["李老师"])
    # a tap is not a hold: nothing is sent, and the page says how
    button.tap()
    expect(page.locator(".chat-box .status")).to_have_text("请按住按钮说话，松开即发送")
    expect(page.get_by_test_id("chat").locator(".voice audio")).to_have_count(1)


def test_wechat_browser_gets_no_wall_and_is_told_what_it_lacks(web: Browser, rest: Rest) -> None:
    _, room_id, code = _room(rest)
    # WeChat's browser on some phones records nothing and has no WebRTC: take both away
    script = "delete window.MediaRecorder; delete window.RTCPeerConnection;"
    page = web.page(label="wechat", phone=True, user_agent=WECHAT_UA, script=script)
    page.goto(f"{web.base}/join/{code}")
    assert "MicroMessenger" in page.evaluate("navigator.userAgent")
    page.get_by_label("姓名").fill("微信里的老师")
    page.get_by_label("学校").fill("城关中学")
    page.get_by_role("button", name="以访客身份加入").click()
    expect(page.get_by_test_id("my-role")).to_have_text("观课教师")
    page.locator("#go-live").click()
    notice = page.get_by_test_id("media-blocked")
    expect(notice).to_contain_text("微信内置浏览器缺少以下功能：")
    expect(notice).to_contain_text("不支持录音（语音留言用不了）")
    expect(notice).to_contain_text("不支持 WebRTC（看不到直播画面）")
    expect(notice).not_to_contain_text("摄像头")  # it has the camera: that is not what it lacks
    program_note = page.locator(".video-wrap:has([data-testid=program-video]) .video-note")
    expect(program_note).to_have_text("不支持 WebRTC（看不到直播画面）")
    page.locator("#chat-input").fill("微信里也能聊天")
    page.locator("#chat-input").press("Enter")
    expect(page.get_by_test_id("chat")).to_contain_text("微信里也能聊天")
    assert fits_width(page)
    notice.scroll_into_view_if_needed()
    web.shot(page, "phone-wechat-live")
    page.goto(f"{web.base}/rooms/{room_id}/evaluate")
    expect(page.get_by_test_id("media-blocked")).to_contain_text("不支持 WebRTC（看不到直播画面）")
    page.locator("#note-text").fill("板书清楚")
    page.get_by_role("button", name="记录").click()
    expect(page.get_by_test_id("notes")).to_contain_text("板书清楚")
    web.shot(page, "phone-wechat-evaluate")
