"""The web client in Firefox (Debian's firefox-esr over WebDriver BiDi, see tests/support/firefox.py):
Chinese by default and English when switched, log in, a guest joins by invite code and chats with a
Chromium page, co-editing the lesson plan with a Chromium page, and the program video playing while an
aiortc venue publishes. Console errors fail the test; screenshots go to test-artifacts/web/firefox-*.png."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
import pytest
from playwright.sync_api import expect

from tests.support.api import Api
from tests.support.firefox import Firefox, FirefoxPage
from tests.support.venues import Showcase, command, live_when, publish, showcase
from tests.support.web import ARTIFACTS, Browser, Rest, audio_grows, room_with_invite, spy_peer_connections

T = TypeVar("T")


class Pages:
    """The Firefox pages of one test; console errors of any of them fail it."""

    def __init__(self, firefox: Firefox) -> None:
        self.firefox = firefox
        self.opened: list[FirefoxPage] = []

    def page(self, session: dict[str, Any] | None = None, *, label: str) -> FirefoxPage:
        page = self.firefox.page(session, label=label)
        self.opened.append(page)
        return page

    def shot(self, page: FirefoxPage, name: str) -> None:
        page.shot(ARTIFACTS / f"firefox-{name}.png")


@pytest.fixture(scope="module")
def firefox() -> Iterator[Firefox]:
    ff = Firefox()
    try:
        yield ff
    finally:
        ff.close()


@pytest.fixture
def ff(firefox: Firefox, web_server: str) -> Iterator[Pages]:
    firefox.errors()  # what an earlier test's pages said after it ended is not this test's
    pages = Pages(firefox)
    yield pages
    errors = firefox.errors()
    for page in pages.opened:
        page.close()
    assert not errors, "Firefox console errors:\n" + "\n".join(errors)


class Background:
    """An event loop in a thread, for the async clients (aiortc, python-socketio) next to the sync pages."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def test_home_in_chinese_then_english_and_log_in(ff: Pages, rest: Rest) -> None:
    user = rest.register("王老师", "三小")
    page = ff.page(label="home")
    page.goto(rest.base + "/")
    page.wait("document.documentElement.lang === 'zh-CN'")
    page.wait_text("h1", "磨课 · 网络教研")
    page.wait_text("#login-form", "登录")
    ff.shot(page, "home-zh")

    page.click("#lang-switch")
    page.wait("document.documentElement.lang === 'en'")
    page.wait_text("h1", "Moke · Online lesson study")
    page.wait_text("#login-form", "Log in")

    page.fill("#login-form input[name=username]", user["username"])
    page.fill("#login-form input[name=password]", user["password"])
    page.click("#login-form button[type=submit]")
    page.wait_text("h1", "Hello, 王老师")
    assert page.eval("JSON.parse(localStorage.getItem('moke.session')).user.display_name") == "王老师"
    ff.shot(page, "home-en")


def test_guest_joins_by_code_and_chats_with_chromium(ff: Pages, web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms", "/api/rooms/{room_id}/chat")
    host = rest.register("赵主持", "教育中心")
    room_id, code = room_with_invite(rest, host, "observer")
    chromium = web.page(host, label="chromium-host")
    chromium.goto(f"{web.base}/rooms/{room_id}/live")
    expect(chromium.locator("#chat-input")).to_be_visible()

    guest = ff.page(label="firefox-guest")
    guest.goto(f"{rest.base}/join")
    guest.fill("#join-form input[name=code]", code)
    guest.fill("#join-form input[name=display_name]", "李老师")
    guest.wait_text("#join-form", "加入后的身份：观课教师")  # the invite preview, once the code is entered
    guest.fill("#join-form input[name=school]", "三小")
    ff.shot(guest, "join-guest-zh")
    guest.click("#join-form button[type=submit]")
    guest.wait_text("[data-testid=my-role]", "观课教师")
    guest.click("#go-live")

    expect(chromium.get_by_test_id("presence")).to_contain_text("李老师")
    guest.fill("#chat-input", "各位老师好，三小已就位")
    guest.press("Enter")
    expect(chromium.get_by_test_id("chat")).to_contain_text("各位老师好，三小已就位")
    chromium.locator("#chat-input").fill("欢迎李老师")
    chromium.locator("#chat-input").press("Enter")
    guest.wait_text("[data-testid=chat]", "欢迎李老师")
    ff.shot(guest, "live-chat-guest-zh")

    # a voice note recorded by Firefox's MediaRecorder plays in Chromium and in Firefox
    guest.click("#voice-record")
    guest.wait("el => el.getAttribute('aria-pressed') === 'true'", "#voice-record")
    time.sleep(1.2)  # the length of the recording itself
    guest.click("#voice-record")
    audio = chromium.get_by_test_id("chat").locator("audio")
    expect(audio).to_have_count(1)
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    chromium.wait_for_function("a => a.currentTime > 0.2", arg=audio.element_handle())
    kind = audio.evaluate("a => fetch(a.src).then(r => r.status + ' ' + r.headers.get('content-type'))")
    assert kind.startswith("200 audio/"), kind
    played = "el => { el.muted = true; el.play(); return el.currentTime > 0.2; }"
    guest.wait(played, "[data-testid=chat] audio")


def test_coedits_the_lesson_plan_with_chromium(ff: Pages, web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/docs")
    host = rest.register("王老师", "教育中心")
    room_id, code = room_with_invite(rest, host, "editor")
    editor = rest.register("李老师", "三小")
    rest.ok("POST", "/api/invites/redeem", {"code": code}, editor["token"])
    doc = rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "《秋天的雨》教案", "template": "lesson_plan"},
                  host["token"])  # fmt: skip
    url = f"{web.base}/rooms/{room_id}/docs/{doc['id']}"

    chromium = web.page(host, label="chromium-host")
    chromium.goto(url)
    expect(chromium.locator(".ProseMirror")).to_contain_text("教学目标")

    page = ff.page(editor, label="firefox-editor")
    page.goto(url)
    page.wait("el => el.dataset.state === 'connected'", "[data-testid=conn]")
    page.wait_text(".ProseMirror", "教学目标")  # the Chinese template arrived
    page.wait("el => el.isContentEditable", ".ProseMirror")

    page.click(".ProseMirror > p")
    page.press("End")
    page.type("《秋天的雨》第一课时")
    expect(chromium.locator(".ProseMirror")).to_contain_text("《秋天的雨》第一课时")
    chromium.locator(".ProseMirror > p").nth(1).click()
    chromium.keyboard.press("End")
    chromium.keyboard.type("语文三年级上册")
    page.wait_text(".ProseMirror", "语文三年级上册")
    # each sees the other's cursor with their name
    page.wait_text(".collaboration-carets__label", "王老师")
    expect(chromium.locator(".collaboration-carets__label", has_text="李老师")).to_be_visible()
    ff.shot(page, "prep-coedit-zh")


def test_room_and_evaluate_pages(ff: Pages, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/invites", "/api/rooms/{room_id}/evaluation")
    host = rest.register("王主持", "教育中心")
    room_id, _ = room_with_invite(rest, host, "observer", kind="trial")
    page = ff.page(host, label="firefox-host")
    page.goto(f"{rest.base}/rooms/{room_id}")
    page.wait_text("[data-testid=my-role]", "主持人")
    page.wait("el => /^[2-9A-Z]{8}$/.test(el.textContent)", "[data-testid=invites] .invite-code")
    page.wait("el => el.complete && el.naturalWidth > 0", "[data-testid=invites] img.qr")  # the QR code
    ff.shot(page, "room-zh")

    page.click("#go-evaluate")
    page.wait_text("h1", "观课评课")
    page.click("::-p-text(使用此量表)")
    page.wait_text("main", "课堂教学评价量表")
    page.wait("el => el.querySelectorAll('select[data-criterion]').length >= 3", "main")
    ff.shot(page, "evaluate-zh")


async def _on_air(base: str) -> Showcase:
    """A showcase with venues "red" (published by an aiortc peer, on air) and "green" (not published)."""
    api = Api(aiohttp.ClientSession(), base)
    show = await showcase(api, base, ("red", "green"))
    await publish(show, "red")
    reply = await command(
        show.host_client, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=0
    )
    assert reply["ok"], reply
    return show


async def _off_air(show: Showcase) -> None:
    for pc in show.pcs.values():
        await pc.close()
    await show.host_client.sio.disconnect()
    await show.api.http.close()


def _playing(page: FirefoxPage, aspect: tuple[float, float]) -> float:
    """Wait until the program <video> shows a picture of that aspect ratio and its time advances."""
    video = "[data-testid=program-video]"
    lo, hi = aspect
    t0 = float(page.wait(f"el => el.videoHeight > 0 && el.videoWidth / el.videoHeight > {lo} && "
                         f"el.videoWidth / el.videoHeight < {hi} && el.currentTime > 0.2 && el.currentTime",
                         video, timeout=60))  # fmt: skip
    page.wait(f"el => !el.paused && el.currentTime > {t0} + 0.5", video)
    box = page.eval(f"(() => {{ const r = document.querySelector('{video}').getBoundingClientRect(); "
                    "return [r.width, r.height]; })()")  # fmt: skip
    assert box[0] > 0 and box[1] > 0, box
    return t0


def test_program_video_plays_and_a_firefox_venue_takes_over(ff: Pages, rest: Rest) -> None:
    """An aiortc venue (4:3) is on air; a Firefox page publishes the fake camera (16:9) for another venue, the
    console in Firefox switches to it, and the Firefox observer's label and picture follow without a reload."""
    rest.require("/api/rooms/{room_id}/program", "/api/rooms/{room_id}/media")
    bg = Background()
    show = bg.run(_on_air(rest.base))
    try:
        code = rest.ok("POST", f"/api/rooms/{show.room_id}/invites", {"role": "observer"},
                       show.host["token"])["code"]  # fmt: skip
        observer = rest.ok(
            "POST", "/api/auth/guest", {"code": code, "display_name": "观课老师", "school": "二小"}
        )
        live = f"{rest.base}/rooms/{show.room_id}/live"
        watcher = ff.page(observer, label="firefox-observer")
        watcher.goto(live)
        watcher.wait_text("[data-testid=program-label]", "主会场：red")
        before = _playing(watcher, (1.2, 1.45))
        ff.shot(watcher, "live-program-zh")

        venue = ff.page(show.host, label="firefox-venue")
        venue.goto(live)
        venue.click("details.publish summary")
        venue.select("#venue-select", show.venues["green"])
        venue.click("#publish-venue")
        venue.wait("el => el.dataset.state === 'live'", "[data-testid=publish-status]")
        bg.run(live_when(show, lambda live: show.venues["green"] in live))

        # the moderator's console in Firefox takes the Firefox venue
        console = ff.page(show.host, label="firefox-console")
        console.goto(f"{rest.base}/rooms/{show.room_id}/console")
        tile = f'[data-venue-id="{show.venues["green"]}"]'
        console.wait_text(f"{tile} .badge", "在线")
        console.click(f"{tile} button[data-action=switch]")
        console.wait_text("[data-testid=console-program-label]", "主会场：green")
        watcher.wait_text("[data-testid=program-label]", "主会场：green")
        assert _playing(watcher, (1.6, 1.9)) > before
        assert watcher.eval("location.href") == live  # no reload, no navigation
        ff.shot(venue, "live-venue-publishing-zh")
        ff.shot(watcher, "live-program-after-take-zh")
        ff.shot(console, "console-zh")
    finally:
        bg.run(_off_air(show))
        bg.close()


def test_prep_screen_call_with_chromium(ff: Pages, web: Browser, rest: Rest) -> None:
    """On the 网络集体备课 screen a Firefox editor and a Chromium host take seats and unmute: Chromium
    receives and plays Firefox's audio, Firefox plays the host's tile (audio track, time running, also with
    the panel collapsed), and Firefox's edits reach Chromium."""
    rest.require("/api/rooms/{room_id}/docs")
    host = rest.register("王老师", "教育中心")
    room_id, code = room_with_invite(rest, host, "editor")
    editor = rest.register("李老师", "三小")
    rest.ok("POST", "/api/invites/redeem", {"code": code}, editor["token"])
    rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "《秋天的雨》教案", "template": "lesson_plan"},
            host["token"])  # fmt: skip
    url = f"{web.base}/rooms/{room_id}/prep"

    chromium = web.page(host, label="chromium-host")
    spy_peer_connections(chromium)
    chromium.goto(url)
    expect(chromium.locator("#raise-hand")).to_be_visible()
    page = ff.page(editor, label="firefox-editor")
    page.goto(url)
    page.wait("el => el.dataset.state === 'connected'", "[data-testid=conn]")
    page.wait("el => el.offsetParent !== null", "#raise-hand")

    # both raise hands; the host grants both seats from the call panel; both unmute
    page.click("#raise-hand")
    chromium.locator("#raise-hand").click()
    queue = chromium.get_by_test_id("seat-queue")
    for name in ("李老师", "王老师"):
        queue.locator("li", has_text=name).get_by_role("button", name="给予席位").click()
    chromium.locator("#toggle-mic").click()
    expect(chromium.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")
    page.wait("el => el.offsetParent !== null", "#toggle-mic")
    page.click("#toggle-mic")
    page.wait("el => el.getAttribute('aria-pressed') === 'true'", "#toggle-mic")

    audio_grows(chromium)  # Firefox's microphone arrives in Chromium and plays out
    host_tile = f"[data-testid=seat-{host['user']['id']}]"
    playing = "el => !!el.srcObject && el.srcObject.getAudioTracks().length > 0 && el.currentTime > 0.5"
    page.wait(playing, host_tile)

    page.click(".ProseMirror > p")
    page.press("End")
    page.type("《秋天的雨》第一课时")
    expect(chromium.locator(".ProseMirror")).to_contain_text("《秋天的雨》第一课时")
    expect(chromium.get_by_test_id("editing").locator("li", has_text="李老师")).to_contain_text("在「课题」")
    ff.shot(page, "prep-call-zh")

    page.click("#call-toggle")
    page.wait("el => el.dataset.collapsed === 'true'", "[data-testid=call-panel]")
    at = float(page.eval(f"document.querySelector('{host_tile}').currentTime"))
    page.wait(f"el => el.offsetParent === null && !el.paused && el.currentTime > {at + 1}", host_tile)
    audio_grows(chromium)
