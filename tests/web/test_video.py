"""Autoplay with sound in Chromium when the browser blocks it (as school PCs' browsers do before any click):
the program plays muted with a visible click-to-unmute prompt, and one click brings the sound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.services import require_chromium
from tests.support.web import CHROMIUM_ARGS, Browser, Rest, publishing_venue


@pytest.fixture
def blocked(chromium: Any, web_server: str) -> Iterator[Browser]:
    """A second Chromium whose autoplay policy needs a user gesture for sound."""
    browser = chromium.browser_type.launch(
        executable_path=require_chromium(),
        args=[*CHROMIUM_ARGS, "--autoplay-policy=user-gesture-required"],
        headless=True,
    )
    b = Browser(browser, web_server)
    try:
        yield b
    finally:
        for ctx in b.contexts:
            ctx.close()
        browser.close()
    unexpected = b.unexpected_errors()
    assert not unexpected, "console errors:\n" + "\n".join(unexpected)


def test_blocked_autoplay_shows_unmute_prompt_and_unmutes(web: Browser, blocked: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/program")
    host = rest.register("赵导播")
    room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
        "id"
    ]
    publishing_venue(web, rest, host, room_id, "三小")
    mod = web.page(host, label="moderator")
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    mod.get_by_role("button", name="直接切换到 三小").click()
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")

    # Under this policy a play() with sound is allowed only within a few seconds of a user gesture, and
    # Playwright's in-page checks count as gestures: so touch the page only after it has tried (it logs
    # the refusal), then check what the viewer sees.
    page = blocked.page(host, label="observer")
    with page.expect_console_message(lambda m: "autoplay with sound refused for program-video" in m.text):
        page.goto(f"{web.base}/rooms/{room_id}/live")
    video = page.get_by_test_id("program-video")
    page.wait_for_function("v => v.videoWidth > 0 && v.currentTime > 0.3", arg=video.element_handle())
    prompt = page.get_by_test_id("program-video-unmute")
    expect(prompt).to_be_visible()
    expect(prompt).to_have_text("点击开启声音")
    assert video.evaluate("v => v.muted && !v.paused")
    blocked.shot(page, "live-autoplay-blocked-prompt-zh")

    prompt.click()
    expect(prompt).to_be_hidden()
    assert video.evaluate("v => !v.muted && !v.paused")
    t0 = video.evaluate("v => v.currentTime")
    page.wait_for_function("([v, t]) => v.currentTime > t + 0.3", arg=[video.element_handle(), t0])
