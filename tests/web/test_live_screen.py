"""Screen sharing (课件演示) in Chromium with its fake display capture: a presenter shares her screen beside
her venue's camera; an observer sees the screen large with the speaker's camera small (the <video> plays and
getStats counts decoded frames growing); the moderator's console puts the screen on the program and records
it; an observer without a seat is not offered the button; the phone layout keeps its width."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, fits_width
from tests.support.webrtc_stats import RECORD_PEERS, inbound_frames

# The venue camera 4:3 (the fake device draws whatever size is asked for): the screen is told apart by shape.
CAMERA = """
const orig = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (c) => orig(c && c.video ? {...c, video: {width: 320, height: 240}} : c);
"""


def _playing(page: Any, testid: str) -> None:
    """Wait until the <video> has a picture and its time advances."""
    video = page.get_by_test_id(testid)
    page.wait_for_function("el => el.videoWidth > 0 && el.currentTime > 0.2", arg=video.element_handle())
    t0 = video.evaluate("el => el.currentTime")
    page.wait_for_function("([el, t]) => el.currentTime > t + 0.5", arg=[video.element_handle(), t0])


def _frames_grow(page: Any, testid: str, by: int = 20, timeout: float = 30) -> None:
    """getStats: the connection feeding ``testid`` decodes ``by`` more video frames."""
    first = inbound_frames(page, testid)
    deadline = time.monotonic() + timeout
    while (now := inbound_frames(page, testid)) < first + by:
        assert time.monotonic() < deadline, f"{testid}: decoded frames stuck at {now} (from {first})"
        page.wait_for_timeout(250)


def _aspect(page: Any, testid: str) -> float:
    return float(page.get_by_test_id(testid).evaluate("el => el.videoWidth / el.videoHeight"))


def test_a_presenter_shares_her_screen_observers_see_it_and_the_console_takes_it(
    web: Browser, rest: Rest
) -> None:
    rest.require("/api/rooms/{room_id}/program", "/api/rooms/{room_id}/recordings")
    host = rest.register("赵导播", "教育中心")
    room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
        "id"
    ]
    presenter, venue = rest.presenter_venue(host, room_id, "三小")
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "observer"}, host["token"])["code"]
    observer = rest.ok(
        "POST", "/api/auth/guest", {"code": code, "display_name": "观课老师", "school": "二小"}
    )
    live = f"{web.base}/rooms/{room_id}/live"
    screen = f"screen:{presenter['user']['id']}"

    # the presenter broadcasts her venue's camera, then shares her screen
    pres = web.page(presenter, label="presenter")
    pres.context.add_init_script(CAMERA)
    pres.goto(live)
    pres.locator("#venue-select").select_option(venue["id"])
    pres.locator("#publish-venue").click()
    expect(pres.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
    share = pres.locator("#share-screen")
    share.click()
    expect(pres.get_by_test_id("screen-status")).to_have_attribute("data-state", "live")
    expect(share).to_have_attribute("aria-pressed", "true")
    expect(share).to_have_text("停止共享")

    # an observer sees the screen large and the speaker's camera small; she has no seat, so no button
    obs = web.page(observer, label="observer")
    obs.context.add_init_script(RECORD_PEERS)
    obs.goto(live)
    expect(obs.get_by_test_id("screen-label")).to_have_text("课件演示：三小执教")
    _playing(obs, "screen-video")
    _frames_grow(obs, "screen-video")
    small = obs.locator(".stage-media .video-wrap.pip").get_by_test_id("program-video")
    expect(small).to_be_visible()
    _playing(obs, "program-video")  # the speaker's camera: her venue
    obs.wait_for_function("el => el.videoHeight > 0 && el.videoWidth / el.videoHeight < 1.45",
                          arg=small.element_handle())  # fmt: skip
    large = obs.get_by_test_id("screen-video").bounding_box()
    corner = small.bounding_box()
    assert large and corner and corner["width"] * 2.5 < large["width"], (large, corner)
    expect(obs.locator("#share-screen")).to_be_hidden()
    expect(obs.get_by_test_id("screen-hint")).to_have_text("举手并获得发言席位后，就可以共享屏幕")
    web.shot(obs, "live-screen-observer-zh")

    # the moderator's console: the shared screen has its own tile; cue it and take it onto the program
    mod = web.page(host, label="moderator")
    mod.context.add_init_script(RECORD_PEERS)
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    expect(mod.locator(f'[data-source="{screen}"]')).to_be_visible()
    mod.get_by_role("button", name="直接切换到 三小", exact=True).click()
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")
    _playing(mod, "console-program")
    camera_aspect = _aspect(mod, "console-program")
    mod.get_by_role("button", name="预选 三小执教 的屏幕").click()
    expect(mod.get_by_test_id("console-preview-label")).to_have_text("预监：课件演示（三小执教）")
    mod.get_by_role("button", name="切换 ▶").click()
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：课件演示（三小执教）")
    expect(obs.get_by_test_id("program-label")).to_have_text("主会场：课件演示（三小执教）")
    # the program now carries the screen: its picture changes shape from the 4:3 camera, and keeps coming
    mod.wait_for_function(
        "([el, a]) => el.videoHeight > 0 && Math.abs(el.videoWidth / el.videoHeight - a) > 0.1",
        arg=[mod.get_by_test_id("console-program").element_handle(), camera_aspect],
    )
    _frames_grow(mod, "console-program")
    handoffs = rest.ok("GET", f"/api/rooms/{room_id}/handoffs", token=host["token"])
    assert [(h["kind"], h["to_venue"]) for h in handoffs] == [("switch", venue["id"]), ("take", screen)]
    expect(mod.get_by_test_id("handoffs").locator("li").first).to_contain_text("三小 → 课件演示（三小执教）")

    # record the shared screen from the console
    mod.locator("#recording-source").select_option(screen)
    mod.locator("#recording").click()
    expect(mod.get_by_test_id("recordings")).to_contain_text("录制中")
    expect(mod.get_by_test_id("recordings")).to_contain_text("三小执教 的屏幕")
    web.shot(mod, "console-screen-zh")
    deadline = time.monotonic() + 30  # a second of the screen in the file (it starts at a keyframe)
    while rest.ok("GET", f"/api/rooms/{room_id}/recordings", token=host["token"])[0]["duration"] < 1:
        assert time.monotonic() < deadline, "the screen recording never grew"
        mod.wait_for_timeout(250)
    mod.locator("#recording").click()
    expect(mod.get_by_test_id("recordings").get_by_role("button", name="下载")).to_be_visible()
    (rec,) = rest.ok("GET", f"/api/rooms/{room_id}/recordings", token=host["token"])
    assert rec["source"] == screen and rec["frames"] > 0 and rec["status"] == "done", rec

    # on a phone the screen fills the width, the camera sits in its corner, nothing scrolls sideways
    phone = web.page(observer, label="observer-phone", phone=True)
    phone.goto(live)
    _playing(phone, "screen-video")
    box = phone.get_by_test_id("screen-video").bounding_box()
    assert box and box["width"] > 300, box
    assert fits_width(phone)
    web.shot(phone, "live-screen-observer-phone-zh")

    # she stops: the observers' stage goes back to one picture
    share.click()
    expect(pres.get_by_test_id("screen-status")).to_have_text("已停止共享屏幕")
    expect(obs.get_by_test_id("screen-video")).to_be_hidden()
    expect(obs.locator(".stage-media .video-wrap.pip")).to_have_count(0)
