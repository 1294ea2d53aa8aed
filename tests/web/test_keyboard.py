"""The main actions with the keyboard alone (Tab, Shift+Tab, Enter, Space; no mouse) in Chromium: a guest
joins by code, sends a chat message and raises a hand; the moderator cues a venue and takes it. Every
control reached shows a visible focus ring."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, publishing_venue, room_with_invite


def tab_to(page: Any, selector: str, back: bool = False, most: int = 80) -> None:
    """Press Tab (Shift+Tab when ``back``) until the focused element matches ``selector``; check that it
    shows a focus ring."""
    for _ in range(most):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            ring = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; }"
            )
            assert (ring[0] != "none" and ring[1] > 0) or ring[2] != "none", (selector, ring)
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} never got the focus by {'Shift+Tab' if back else 'Tab'}")


UNNAMED = """() => [...document.querySelectorAll(
  'button, input:not([type=hidden]), select, textarea, a[href], [tabindex]:not([tabindex="-1"])')]
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.labels?.length
    || el.textContent.trim() || el.getAttribute('title')))
  .map((el) => el.outerHTML.slice(0, 160))"""


def assert_all_named(page: Any) -> None:
    """Every visible control has a name a screen reader can say (a label, text, aria-label or title)."""
    unnamed = page.evaluate(UNNAMED)
    assert not unnamed, unnamed


def test_join_chat_raise_hand_cue_and_take_by_keyboard(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/program")
    host = rest.register("赵导播")
    room_id, code = room_with_invite(rest, host, "observer", kind="showcase")
    venue_id = publishing_venue(web, rest, host, room_id, "三小")
    watcher = web.page(host, label="host-live")
    watcher.goto(f"{web.base}/rooms/{room_id}/live")

    guest = web.page(label="guest")
    guest.goto(f"{web.base}/join")
    assert_all_named(guest)
    tab_to(guest, "input[name=code]")
    guest.keyboard.type(code)
    tab_to(guest, "input[name=display_name]")  # leaving the code field shows the invite's preview
    expect(guest.get_by_text("加入后的身份：观课教师")).to_be_visible()
    guest.keyboard.type("李老师")
    tab_to(guest, "input[name=school]")
    guest.keyboard.type("三小")
    guest.keyboard.press("Enter")
    expect(guest.get_by_test_id("my-role")).to_have_text("观课教师")
    tab_to(guest, "#go-live")
    guest.keyboard.press("Enter")
    expect(guest.get_by_role("heading", name="观摩直播")).to_be_visible()

    assert_all_named(guest)
    tab_to(guest, "#chat-input")
    guest.keyboard.type("键盘也能发言")
    guest.keyboard.press("Enter")
    expect(watcher.get_by_test_id("chat")).to_contain_text("键盘也能发言")
    tab_to(guest, "#raise-hand", back=True)
    guest.keyboard.press("Space")
    expect(guest.locator("#raise-hand")).to_have_attribute("aria-pressed", "true")
    web.shot(guest, "keyboard-live-guest-zh")

    mod = web.page(host, label="moderator")
    mod.goto(f"{web.base}/rooms/{room_id}/console")
    expect(mod.get_by_test_id("seat-queue")).to_contain_text("李老师")
    expect(mod.locator(f'[data-venue-id="{venue_id}"] .badge')).to_have_text("在线")
    assert_all_named(mod)
    tab_to(mod, f'[data-venue-id="{venue_id}"] [data-action=cue]')
    mod.keyboard.press("Enter")
    expect(mod.get_by_test_id("console-preview-label")).to_have_text("预监：三小")
    tab_to(mod, "#take", back=True)
    mod.keyboard.press("Enter")
    expect(mod.get_by_test_id("console-program-label")).to_have_text("主会场：三小")
    expect(guest.get_by_test_id("program-label")).to_have_text("主会场：三小")
    web.shot(mod, "keyboard-console-zh")
