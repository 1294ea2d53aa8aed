"""课堂实录回放 in Chromium: a venue publishes the fake camera and goes on air, the host records the program
while an observer writes notes; on the replay page the notes stand on the recording's timeline (coloured
by kind, over the main venue's band) and choosing one — a click, or Enter on a marker — seeks the video
to the moment it was written."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest

KINDS = ("positive", "question", "suggestion")


def _until(what: str, probe: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"{what}: not in {timeout} s"
        time.sleep(0.2)
    return found


def _record_program(rest: Rest, room_id: str, token: str) -> dict[str, Any]:
    """Record the program once the cut to the venue happened on the wire; return when the file has begun."""
    _until(
        "the cut on the wire",
        lambda: any(h["switched"] for h in rest.ok("GET", f"/api/rooms/{room_id}/handoffs", None, token)),
    )
    rec = rest.ok("POST", f"/api/rooms/{room_id}/recordings", {"source": "program"}, token)
    listed = lambda: rest.ok("GET", f"/api/rooms/{room_id}/recordings", None, token)  # noqa: E731
    _until("the recording's first keyframe", lambda: listed()[0]["origin"] is not None)
    return dict(rec)


def _seeked_to(page: Any, offset: float) -> None:
    """The video has moved to ``offset`` and shows a frame there."""
    video = page.get_by_test_id("replay-video")
    page.wait_for_function(
        "([el, t]) => !el.seeking && el.readyState >= 2 && Math.abs(el.currentTime - t) < 0.25",
        arg=[video.element_handle(), offset],
    )


def test_choosing_a_note_seeks_the_recording(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/replay", "/api/rooms/{room_id}/recordings")
    host = rest.register("王主持")
    room_id = rest.ok("POST", "/api/rooms", {"title": "《秋天的雨》试讲", "kind": "trial"}, host["token"])[
        "id"
    ]
    venue = rest.ok("POST", f"/api/rooms/{room_id}/venues", {"name": "三小"}, host["token"])["id"]
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "observer"}, host["token"])["code"]
    observer = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})

    page = web.page(observer, label="observer")
    page.goto(f"{web.base}/rooms/{room_id}/replay")
    expect(page.get_by_test_id("no-recordings")).to_have_text("这个教研活动还没有课堂实录。")

    cam = web.page(host, label="venue")
    cam.goto(f"{web.base}/rooms/{room_id}/live")
    cam.locator("details.publish > summary").click()  # a host's venue publishing is folded away
    cam.locator("#venue-select").select_option(venue)
    cam.locator("#publish-venue").click()
    expect(cam.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
    console = web.page(host, label="console")
    console.goto(f"{web.base}/rooms/{room_id}/console")
    expect(console.locator(f'[data-venue-id="{venue}"] .badge')).to_have_text("在线")
    console.get_by_role("button", name="直接切换到 三小").click()
    expect(console.get_by_test_id("console-program-label")).to_have_text("主会场：三小")

    rec = _record_program(rest, room_id, host["token"])
    # an S-T observation sampled every 5 s while it records: its codes go on the same timeline
    run = rest.ok("POST", f"/api/rooms/{room_id}/observations",
                  {"segment_id": "lesson", "instrument": "st", "interval_seconds": 5}, observer["token"])  # fmt: skip
    for slot, code in enumerate("TS"):
        rest.ok("PUT", f"/api/rooms/{room_id}/observations/{run['id']}/samples", {"slot": slot, "code": code},
                observer["token"])  # fmt: skip
    texts = ["朗读指导到位", "这里为什么不让学生先讨论？", "板书可以更简洁"]
    for i, (kind, text) in enumerate(zip(KINDS, texts, strict=True)):
        time.sleep(1.5)
        rest.ok("POST", f"/api/rooms/{room_id}/notes",
                {"client_id": f"replay{i}", "text": text, "kind": kind, "shared": True}, observer["token"])  # fmt: skip
    time.sleep(1.5)
    done = rest.ok("POST", f"/api/recordings/{rec['id']}/stop", None, host["token"])
    replay = rest.ok("GET", f"/api/rooms/{room_id}/replay?recording_id={rec['id']}", None, observer["token"])
    offsets = [p["offset"] for p in replay["notes"]]
    assert [p["note"]["text"] for p in replay["notes"]] == texts
    assert 1.0 < offsets[0] and offsets == sorted(offsets) and offsets[-1] < done["duration"], offsets

    page.goto(f"{web.base}/rooms/{room_id}/evaluate")
    page.get_by_role("link", name="课堂实录回放").click()
    expect(page.get_by_role("heading", name="课堂实录回放")).to_be_visible()
    expect(page.get_by_test_id("recordings").get_by_role("button")).to_have_count(1)
    notes = page.get_by_test_id("replay-notes").get_by_role("button")
    expect(notes).to_have_count(3)
    markers = page.get_by_test_id("timeline").locator(".marker")
    expect(markers).to_have_count(3)
    for marker, kind in zip(markers.all(), KINDS, strict=True):
        expect(marker).to_have_class(f"marker kind-{kind}")
    expect(page.get_by_test_id("timeline").locator(".band")).to_contain_text("三小")
    codes = page.get_by_test_id("timeline").locator(".code")
    expect(codes).to_have_count(2)
    assert [c.get_attribute("data-code") for c in codes.all()] == ["T", "S"]
    # markers stand in time order along the timeline
    lefts = [m.bounding_box()["x"] for m in markers.all()]
    assert lefts == sorted(lefts) and lefts[0] < lefts[-1], lefts
    page.wait_for_function(
        "el => el.readyState >= 1", arg=page.get_by_test_id("replay-video").element_handle()
    )

    notes.nth(1).click()
    _seeked_to(page, offsets[1])
    expect(notes.nth(1)).to_have_attribute("aria-current", "")
    markers.nth(2).focus()
    page.keyboard.press("Enter")
    _seeked_to(page, offsets[2])
    notes.nth(0).click()
    _seeked_to(page, offsets[0])
    web.shot(page, "replay-observer-zh")
