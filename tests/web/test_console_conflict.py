"""Two moderators at once: the one acting on an outdated view is told plainly that another moderator
switched first, and the console catches up. The second console's Socket.IO connection is routed through
Playwright and loses the ``venue:state`` broadcasts, so its view is reliably outdated."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest


def _drop_venue_state(ws: Any) -> None:
    server = ws.connect_to_server()
    server.on_message(lambda m: None if isinstance(m, str) and '"venue:state"' in m else ws.send(m))


def test_second_moderator_sees_plain_conflict(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/program")
    host = rest.register("赵导播")
    room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
        "id"
    ]
    for name in ("三小", "一小"):
        rest.ok("POST", f"/api/rooms/{room_id}/venues", {"name": name}, host["token"])
    console = f"{web.base}/rooms/{room_id}/console"

    first = web.page(host, label="moderator-1")
    first.goto(console)
    second = web.page(host, label="moderator-2")
    second.route_web_socket("**/socket.io/**", _drop_venue_state)
    second.goto(console)
    expect(second.get_by_test_id("console-preview-label")).to_have_text("尚未预选会场")

    first.get_by_role("button", name="预选 三小").click()
    expect(first.get_by_test_id("console-preview-label")).to_have_text("预监：三小")
    # the second console never heard of that cue: its command carries an old epoch
    second.get_by_role("button", name="预选 一小").click()
    expect(second.get_by_test_id("console-status")).to_contain_text("另一位导播已先切换")
    expect(second.get_by_test_id("console-preview-label")).to_have_text("预监：三小")  # caught up
    web.shot(second, "console-conflict-zh")
