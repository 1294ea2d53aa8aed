"""The 听评课 screen in Chromium: the program video beside the note pad; a note is stamped when typing
began (the page's clock is driven); a marker by shortcut, filled in later; notes before any rubric; the
S-T prompt answered for a simulated lesson, with Rt/Ch as computed by hand; the phone layout."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.web import Browser, Rest, fits_width, publishing_venue, room_with_invite

LESSON = "TTTSSTTSSSTT"  # N = 12, N_T = 7, runs TTT|SS|TT|SSS|TT: g = 5
RT, CH = 7 / 12, (5 - 1) / 12  # 0.583, 0.333: 混合型


def _frames(page: Any, testid: str) -> bool:
    return bool(page.get_by_test_id(testid).evaluate("v => v.videoWidth > 0 && v.readyState >= 2"))


def test_note_is_stamped_when_typing_began_beside_the_program(web: Browser, rest: Rest) -> None:
    host = rest.register("王主持", "教育中心")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    venue_id = publishing_venue(web, rest, host, room_id, "三小")
    mod = web.page(host, label="console")
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    mod.get_by_role("button", name="直接切换到 三小").click()
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")
    switched = time.time()
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})

    op = web.page(guest, label="observer")
    op.clock.install()
    op.goto(f"{web.base}/rooms/{room_id}/evaluate")
    # no rubric yet: scoring says so, notes and the video are there all the same
    expect(op.get_by_test_id("no-rubric")).to_contain_text("主持人尚未设置评课量表")
    expect(op.get_by_test_id("program-label")).to_have_text("主会场：三小")
    op.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=program-video]'); return v && v.videoWidth > 0; }"
    )

    # the note will be about a moment 10 s back: let 三小 have been on the program by then
    time.sleep(max(0.0, switched + 12 - time.time()))
    op.locator("#note-text").press_sequentially("学生")
    expect(op.get_by_test_id("note-stamp")).to_contain_text("记录时刻")
    op.clock.fast_forward(10_000)  # she writes for 10 s before saving
    op.locator("#note-text").press_sequentially("小组讨论很投入")
    op.get_by_role("button", name="记录").click()
    saved = time.time()
    expect(op.get_by_test_id("notes")).to_contain_text("学生小组讨论很投入")
    note = next(n for n in rest.ok("GET", f"/api/rooms/{room_id}/notes", token=guest["token"]) if n["text"])
    # stamped when typing began: 10 s (on the page's clock) before the save, not at the save
    assert saved - 10 - 4 <= note["at"] <= saved - 10 + 2, (note["at"], saved)
    assert note["venue_id"] == venue_id
    first = op.locator("[data-note-id]").first
    expect(first.get_by_test_id("note-venue")).to_have_text("@三小")
    expect(first.get_by_test_id("lesson-time")).to_have_text("课中 00:00")

    # a marker with one shortcut, filled in later; it keeps its moment
    op.keyboard.press("Alt+2")
    marker = op.locator("[data-note-id]").filter(has_text="待补充")
    expect(marker).to_contain_text("疑问")
    expect(marker.get_by_test_id("lesson-time")).to_have_text(re.compile(r"课中 00:1\d"))  # 10 s + real time
    marker.get_by_test_id("fill-in").click()
    op.get_by_test_id("fill-text").fill("为什么跳过了例题？")
    op.get_by_role("button", name="保存").click()
    expect(op.get_by_test_id("notes")).to_contain_text("为什么跳过了例题？")
    # one tap drops one too
    op.locator("button[data-kind=positive]").click()
    expect(op.locator("[data-note-id]").filter(has_text="待补充")).to_contain_text("亮点")
    kinds = sorted(n["kind"] for n in rest.ok("GET", f"/api/rooms/{room_id}/notes", token=guest["token"]))
    assert kinds == ["positive", "positive", "question"]
    web.shot(op, "evaluate-screen-observer-zh")


def _code_lesson(page: Any, rest: Rest, room_id: str, token: str, lesson: str) -> None:
    """Answer every 30 s prompt of a simulated lesson: T by key, S by tap; the page's clock is driven."""
    page.locator("#obs-start").click()
    expect(page.get_by_test_id("obs-slot")).to_have_attribute("data-slot", "0")
    run = rest.ok("GET", f"/api/rooms/{room_id}/observations", token=token)[0]
    for i, code in enumerate(lesson):
        slot = page.get_by_test_id("obs-slot")
        expect(slot).to_have_attribute("data-slot", str(i))
        if code == "T":
            page.keyboard.press("t")
        else:
            page.locator("button.obs-code[data-code=S]").click()
        expect(slot).to_contain_text("已记录")
        now = page.evaluate("Date.now() / 1000")
        page.clock.fast_forward(int((run["started_at"] + (i + 1) * 30 - now + 1) * 1000))
    expect(page.get_by_test_id("obs-n")).to_have_text(f"样本数 {len(lesson)}")


def test_st_prompt_answered_for_a_lesson_gives_rt_and_ch(web: Browser, rest: Rest) -> None:
    host = rest.register("王主持")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})
    op = web.page(guest, label="observer")
    op.clock.install()
    op.goto(f"{web.base}/rooms/{room_id}/evaluate")
    expect(op.locator("#obs-instrument")).to_have_value("st")
    expect(op.locator("#obs-interval")).to_have_value("30")
    _code_lesson(op, rest, room_id, guest["token"], LESSON)

    mine = op.get_by_test_id("obs-mine")
    expect(mine.locator("[data-metric=Rt]")).to_contain_text(f"{RT:.3f}")
    expect(mine.locator("[data-metric=Ch]")).to_contain_text(f"{CH:.3f}")
    expect(mine.get_by_test_id("obs-type")).to_have_text("教学模式：混合型")
    expect(mine.get_by_test_id("st-curve")).to_be_visible()
    _diagram_names_its_regions(mine.get_by_test_id("rt-ch"))
    run = rest.ok("GET", f"/api/rooms/{room_id}/observations", token=guest["token"])[0]
    stored = rest.ok("GET", f"/api/rooms/{room_id}/observations/{run['id']}/mine", token=guest["token"])
    assert "".join(s["code"] for s in sorted(stored["samples"], key=lambda s: s["slot"])) == LESSON
    assert stored["result"]["metrics"]["Rt"] == pytest.approx(RT)
    assert stored["result"]["metrics"]["Ch"] == pytest.approx(CH)
    web.shot(op, "evaluate-st-observer-zh")

    # a second observer codes the same lesson, two moments differently; the host sees both and the agreement
    code2 = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "observer"}, host["token"])["code"]
    other = rest.ok("POST", "/api/auth/guest", {"code": code2, "display_name": "陈老师", "school": "三小"})
    rest.ok(
        "POST",
        f"/api/rooms/{room_id}/observations",
        {"segment_id": "lesson", "instrument": "st"},
        other["token"],
    )
    for slot, c in enumerate("TTSSSTTSSSTS"):
        rest.ok(
            "PUT",
            f"/api/rooms/{room_id}/observations/{run['id']}/samples",
            {"slot": slot, "code": c},
            other["token"],
        )
    hp = web.page(host, label="host")
    hp.goto(f"{web.base}/rooms/{room_id}/evaluate")
    expect(hp.locator("#obs-start")).to_have_text("加入观察（已开始）")
    expect(hp.get_by_test_id("obs-agreement")).to_have_text(f"观察者一致率 {100 * 10 / 12:.1f}%")
    expect(hp.get_by_test_id("obs-aggregate")).to_contain_text("刘老师")
    expect(hp.get_by_test_id("obs-aggregate")).to_contain_text("陈老师")
    hp.get_by_test_id("obs-aggregate").scroll_into_view_if_needed()
    web.shot(hp, "evaluate-st-host-zh")


def test_the_screen_fits_a_phone(web: Browser, rest: Rest) -> None:
    host = rest.register("王主持")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    rest.ok("POST", f"/api/rooms/{room_id}/rubrics", {"template": "general"}, token=host["token"])
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})
    phone = web.page(guest, label="phone", phone=True)
    phone.clock.install()
    phone.goto(f"{web.base}/rooms/{room_id}/evaluate")
    expect(phone.get_by_test_id("program-video")).to_be_visible()
    phone.locator("#note-text").fill("板书清楚")
    phone.get_by_role("button", name="记录").click()
    expect(phone.get_by_test_id("notes")).to_contain_text("板书清楚")
    _code_lesson(phone, rest, room_id, guest["token"], "TTS")
    assert fits_width(phone)
    for button in phone.locator("button.obs-code, .markers button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, box
    phone.locator("#note-text").scroll_into_view_if_needed()
    web.shot(phone, "evaluate-phone-zh")
    phone.screenshot(path=str(web.shot(phone, "evaluate-phone-full-zh")), full_page=True)
    assert fits_width(phone)


def test_question_types_are_tapped_and_kept_while_offline(web: Browser, rest: Rest) -> None:
    """The second instrument is only a template: the same panel counts the teacher's questions by type;
    codes tapped without a connection wait in the page and reach the server once it is back."""
    host = rest.register("王主持")
    room_id, code = room_with_invite(rest, host, "observer", kind="trial")
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "刘老师", "school": "二小"})
    op = web.page(guest, label="observer-questions")
    op.goto(f"{web.base}/rooms/{room_id}/evaluate")
    op.locator("#obs-instrument").select_option("questions")
    expect(op.locator("#obs-interval")).to_be_disabled()
    op.locator("#obs-start").click()
    expect(op.locator("button.obs-code")).to_have_count(5)
    op.locator("button.obs-code[data-code=recall]").click()
    op.keyboard.press("4")  # 分析评价创造性问题
    expect(op.get_by_test_id("obs-n")).to_have_text("样本数 2")
    op.context.set_offline(True)
    op.locator("button.obs-code[data-code=recall]").click()
    expect(op.get_by_test_id("obs-pending")).to_have_text("1 条编码待发送，连接恢复后自动发送")
    op.context.set_offline(False)
    expect(op.get_by_test_id("obs-pending")).to_be_empty(timeout=30_000)
    expect(op.get_by_test_id("obs-n")).to_have_text("样本数 3")
    expect(op.get_by_test_id("obs-mine")).to_contain_text("记忆性问题 2")
    run = rest.ok("GET", f"/api/rooms/{room_id}/observations", token=guest["token"])[0]
    stored = rest.ok("GET", f"/api/rooms/{room_id}/observations/{run['id']}/mine", token=guest["token"])
    assert sorted(s["code"] for s in stored["samples"]) == ["higher", "recall", "recall"]
    web.shot(op, "evaluate-questions-observer-zh")


# In the diagram's own coordinates: where each lesson type's name sits, the threshold lines, the axis titles'
# height on screen.
_DIAGRAM = """(svg) => {
  const centre = (el) => { const b = el.getBBox(); return [b.x + b.width / 2, b.y + b.height / 2]; };
  return {
    regions: Object.fromEntries([...svg.querySelectorAll('text.region')].map((el) => [el.textContent, centre(el)])),
    xs: [...svg.querySelectorAll('line')].filter((l) => l.getAttribute('x1') === l.getAttribute('x2'))
      .map((l) => Number(l.getAttribute('x1'))).sort((a, b) => a - b),
    ys: [...svg.querySelectorAll('line')].filter((l) => l.getAttribute('y1') === l.getAttribute('y2'))
      .map((l) => Number(l.getAttribute('y1'))),
    axes: [...svg.querySelectorAll('text.axis')].map((el) => [el.textContent, el.getBoundingClientRect().height]),
  };
}"""


def _diagram_names_its_regions(diagram: Any) -> None:
    """练习型 left of Rt = 0.3, 讲授型 right of 0.7, 对话型 between them above Ch = 0.4, 混合型 below it; the axes
    are titled in type at least 14 px high."""
    expect(diagram).to_be_visible()
    d = diagram.evaluate(_DIAGRAM)
    (x03, x07), (y04,) = d["xs"], d["ys"]
    r = d["regions"]
    assert set(r) == {"练习型", "讲授型", "对话型", "混合型"}, r
    assert r["练习型"][0] < x03 and r["讲授型"][0] > x07, d
    assert x03 < r["对话型"][0] < x07 and r["对话型"][1] < y04, d  # SVG y grows downwards
    assert x03 < r["混合型"][0] < x07 and r["混合型"][1] > y04, d
    assert [name for name, _ in d["axes"]] == ["Rt", "Ch"] and all(h >= 14 for _, h in d["axes"]), d
