"""The console's run sheet and fallback in Chromium: "next segment" puts each segment's venue on air and
the observers' label follows; a segment without a venue keeps the program; past the end is refused plainly;
the fallback venue chosen on one console is stored and shown on the other."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, publishing_venue


def test_next_segment_follows_the_agenda_and_fallback_venue(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/program", "/api/rooms/{room_id}/agenda")
    host = rest.register("赵导播")
    room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
        "id"
    ]
    sanxiao = publishing_venue(web, rest, host, room_id, "三小")
    yixiao = str(rest.ok("POST", f"/api/rooms/{room_id}/venues", {"name": "一小"}, host["token"])["id"])
    segments = [
        {
            "title": "课堂展示",
            "venue_id": sanxiao,
            "planned_start": None,
            "duration_minutes": 40,
            "notes": "",
        },
        {"title": "茶歇", "venue_id": None, "planned_start": None, "duration_minutes": 10, "notes": ""},
    ]
    rest.ok("PUT", f"/api/rooms/{room_id}/agenda", {"segments": segments}, host["token"])

    mod = web.page(host, label="console")
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    other = web.page(host, label="console-2")
    other.goto(f"{web.base}/rooms/{room_id}/console")
    watcher = web.page(host, label="live")
    watcher.goto(f"{web.base}/rooms/{room_id}/live")
    expect(mod.locator(f'[data-venue-id="{sanxiao}"] .badge')).to_have_text("在线")
    sheet = mod.get_by_test_id("runsheet")
    expect(sheet.locator("li")).to_have_count(2)
    expect(sheet.locator('[aria-current="step"]')).to_have_count(0)

    mod.get_by_role("button", name="下一环节").click()
    expect(sheet.locator('[aria-current="step"]')).to_contain_text("课堂展示")
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")
    expect(watcher.get_by_test_id("program-label")).to_have_text("主会场：三小")
    web.shot(mod, "console-next-segment-zh")

    # a segment without a venue (a break): the program stays where it is
    mod.get_by_role("button", name="下一环节").click()
    expect(sheet.locator('[aria-current="step"]')).to_contain_text("茶歇")
    expect(sheet.locator("li.done")).to_contain_text("课堂展示")
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")

    # past the end: said plainly, nothing changes
    mod.get_by_role("button", name="下一环节").click()
    expect(mod.get_by_test_id("console-status")).to_have_text("议程已到最后一个环节")
    expect(sheet.locator('[aria-current="step"]')).to_contain_text("茶歇")

    # the fallback venue: stored by the controller, shown on every console
    mod.get_by_label("备用会场（主会场断线时自动切换）").select_option(label="一小")
    expect(other.locator("#fallback")).to_have_value(yixiao)
    state = rest.ok("GET", f"/api/rooms/{room_id}/program", token=host["token"])
    assert state.get("state", state)["fallback"] == yixiao
    mod.get_by_label("备用会场（主会场断线时自动切换）").select_option(value="")
    expect(other.locator("#fallback")).to_have_value("")
