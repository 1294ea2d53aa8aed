"""Over plain HTTP on a real host name the browser gives no camera or microphone: the live page says
why and links to the HTTPS address (in the teacher's language), and nothing throws.

Chromium treats localhost and 127.0.0.1 as secure, so the page is opened as http://moke.test:PORT
(resolved to 127.0.0.1 by ``--host-resolver-rules``), which it treats as insecure."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.support.web import INSECURE_HOST, Browser, Rest


def test_insecure_origin_explains_missing_media_and_links_to_https(web: Browser, rest: Rest) -> None:
    rest.require("/api/media/ice")
    host = rest.register("赵主持")
    room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
        "id"
    ]
    presenter, _ = rest.presenter_venue(host, room_id, "三小")
    port = urlsplit(web.base).port
    insecure = f"http://{INSECURE_HOST}:{port}/rooms/{room_id}/live"
    secure = f"https://{INSECURE_HOST}/rooms/{room_id}/live"  # this server has no public https URL set

    page = web.page(presenter, label="insecure-zh")
    page.goto(insecure)
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate("navigator.mediaDevices === undefined") is True
    notice = page.get_by_test_id("media-blocked")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("不安全的 http:// 地址")
    expect(notice.get_by_test_id("media-secure-link")).to_have_attribute("href", secure)
    web.shot(page, "live-insecure-origin-zh")
    # every way to the camera or microphone explains itself instead of throwing
    page.locator("#publish-venue").click()
    expect(page.get_by_test_id("publish-status")).to_contain_text(secure)
    page.locator("#voice-record").click()
    expect(page.locator(".chat-box .status")).to_contain_text("语音留言")
    expect(page.locator("#voice-record")).to_have_attribute("aria-pressed", "false")
    # watching and chat still work
    page.locator("#chat-input").fill("我这边只能看不能说")
    page.locator("#chat-input").press("Enter")
    expect(page.get_by_test_id("chat")).to_contain_text("我这边只能看不能说")

    en = web.page(presenter, label="insecure-en", locale="en")
    en.goto(insecure)
    expect(en.get_by_test_id("media-blocked")).to_contain_text("opened over plain http://")
    expect(en.get_by_test_id("media-secure-link")).to_have_text(secure)

    # the same page over a secure origin (127.0.0.1 counts as one) shows no notice
    ok = web.page(presenter, label="secure")
    ok.goto(f"{web.base}/rooms/{room_id}/live")
    expect(ok.locator("#publish-venue")).to_be_visible()
    expect(ok.get_by_test_id("media-blocked")).to_be_hidden()


def test_every_page_works_over_plain_http_without_throwing(web: Browser, rest: Rest) -> None:
    host = rest.register("赵主持")
    room_id = rest.ok("POST", "/api/rooms", {"title": "《秋天的雨》试讲", "kind": "trial"}, host["token"])[
        "id"
    ]
    rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "observer"}, host["token"])
    base = f"http://{INSECURE_HOST}:{urlsplit(web.base).port}"
    page = web.page(host, label="insecure-pages")
    page.goto(f"{base}/rooms/{room_id}")
    assert page.evaluate("window.isSecureContext") is False
    # no navigator.clipboard over plain HTTP: the invite link is still copied (or the teacher told how)
    page.get_by_role("button", name="复制链接").first.click()
    expect(page.locator(".toast")).to_contain_text("已复制邀请链接")
    for path in ("/", f"/rooms/{room_id}/prep", f"/rooms/{room_id}/console", f"/rooms/{room_id}/evaluate",
                 f"/rooms/{room_id}/replay", f"/rooms/{room_id}/live"):  # fmt: skip
        page.goto(base + path)
        expect(page.locator("#app")).not_to_be_empty()
        page.wait_for_load_state("networkidle")
    web.shot(page, "live-insecure-host-zh")
