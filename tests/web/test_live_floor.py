"""The live page's discussion seats and voice notes in Chromium (here in English): an observer raises a
hand, the moderator grants a seat from the console, the observer turns the camera on and everyone's
discussion grid shows it; a voice note recorded with MediaRecorder reaches the others and plays."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, room_with_invite


def test_hand_seat_camera_grid_and_voice_note(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/voice", "/api/rooms/{room_id}/program")
    host = rest.register("Host Zhao")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    guest = rest.ok(
        "POST", "/api/auth/guest", {"code": code, "display_name": "Teacher Li", "school": "School 3"}
    )
    uid = guest["user"]["id"]
    live = f"{web.base}/rooms/{room_id}/live"

    obs = web.page(guest, label="observer", locale="en")
    obs.goto(live)
    expect(obs.get_by_role("heading", name="Live")).to_be_visible()
    expect(obs.get_by_test_id("program-label")).to_have_text("Main venue: not started")
    mod = web.page(host, label="moderator", locale="en")
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    watcher = web.page(host, label="host-live", locale="en")
    watcher.goto(live)

    obs.get_by_role("button", name="Raise hand").click()
    queue = mod.get_by_test_id("seat-queue")
    expect(queue).to_contain_text("Teacher Li")
    queue.get_by_role("button", name="Grant seat").click()
    expect(obs.get_by_text("You have a seat")).to_be_visible()
    obs.locator("#toggle-camera").click()
    expect(obs.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
    # the host's live page shows the seat's video in the discussion grid, playing
    tile = watcher.get_by_test_id(f"seat-{uid}")
    watcher.wait_for_function(
        "el => el.videoWidth > 0 && el.currentTime > 0.3", arg=tile.element_handle(), timeout=30_000
    )
    expect(watcher.get_by_test_id("presence")).to_contain_text("Camera on")
    web.shot(watcher, "live-seat-grid-en")

    # a voice note: record about a second, send; the others get it in the chat and it loads
    obs.locator("#voice-record").click()
    expect(obs.locator("#voice-record")).to_have_attribute("aria-pressed", "true")
    obs.wait_for_timeout(1200)  # the length of the recording itself
    obs.locator("#voice-record").click()
    audio = watcher.get_by_test_id("chat").locator("audio")
    expect(audio).to_have_count(1)
    status = audio.evaluate("a => fetch(a.src).then(r => r.status + ' ' + r.headers.get('content-type'))")
    assert status.startswith("200 audio/")
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    watcher.wait_for_function("a => a.currentTime > 0.2", arg=audio.element_handle())

    mod.get_by_test_id("seat-queue").get_by_role("button", name="Revoke seat").click()
    expect(obs.locator("#toggle-camera")).to_have_count(0)
    expect(watcher.get_by_test_id(f"seat-{uid}")).to_have_count(0)
