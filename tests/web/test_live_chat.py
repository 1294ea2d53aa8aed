"""Chat moderation on the live page: a moderator deletes a message after confirming, and everyone's open
page shows it as deleted without a reload; observers get no delete button."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.web import Browser, Rest, room_with_invite


def test_moderator_deletes_a_message_everyone_sees_it_deleted(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/chat")
    host = rest.register("赵主持")
    room_id, code = room_with_invite(rest, host, "observer", kind="showcase")
    guest = rest.ok("POST", "/api/auth/guest", {"code": code, "display_name": "李老师", "school": "三小"})
    moderator = rest.register("周导播")
    mod_code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "moderator"}, host["token"])["code"]
    rest.ok("POST", "/api/invites/redeem", {"code": mod_code}, moderator["token"])
    live = f"{web.base}/rooms/{room_id}/live"

    obs = web.page(guest, label="guest")
    obs.goto(live)
    mod = web.page(moderator, label="moderator")
    mod.goto(live)
    obs.locator("#chat-input").fill("这条消息发错了")
    obs.locator("#chat-input").press("Enter")
    obs.locator("#chat-input").fill("各位老师好")
    obs.locator("#chat-input").press("Enter")
    expect(mod.get_by_test_id("chat")).to_contain_text("各位老师好")

    # the observer sees the messages but no delete buttons
    expect(obs.get_by_test_id("chat").locator(".msg")).to_have_count(2)
    expect(obs.get_by_role("button", name="删除")).to_have_count(0)

    wrong = mod.get_by_test_id("chat").locator(".msg", has_text="这条消息发错了")
    wrong.get_by_role("button", name="删除李老师的消息").click()
    # a confirm step: cancelling keeps the message
    expect(wrong.get_by_text("确定删除这条消息？")).to_be_visible()
    web.shot(mod, "live-chat-delete-confirm-zh")
    expect(wrong.get_by_role("button", name="确认删除")).to_be_focused()
    wrong.get_by_role("button", name="取消").click()
    expect(wrong.get_by_role("button", name="确认删除")).to_have_count(0)
    expect(wrong.get_by_role("button", name="删除李老师的消息")).to_be_focused()  # focus is not lost
    wrong.get_by_role("button", name="删除李老师的消息").click()
    wrong.get_by_role("button", name="确认删除").click()
    expect(mod.locator("#chat-input")).to_be_focused()

    # both open pages show it deleted, in place, without a reload; the other message stays
    for page in (obs, mod):
        chat = page.get_by_test_id("chat")
        expect(chat.locator(".msg").first).to_have_text("该消息已被删除")
        expect(chat).not_to_contain_text("这条消息发错了")
        expect(chat.locator(".msg").last).to_contain_text("各位老师好")
    web.shot(obs, "live-chat-deleted-guest-zh")
    # and so does the history after a reload
    obs.reload()
    expect(obs.get_by_test_id("chat").locator(".msg").first).to_have_text("该消息已被删除")


def test_refused_message_is_explained_and_kept(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/archive")
    host = rest.register("赵主持")
    room_id, _ = room_with_invite(rest, host, "observer", kind="showcase")
    page = web.page(host, label="host")
    page.goto(f"{web.base}/rooms/{room_id}/live")
    expect(page.locator("#chat-input")).to_be_visible()
    rest.ok("POST", f"/api/rooms/{room_id}/archive", token=host["token"])
    page.locator("#chat-input").fill("活动结束后还想说一句")
    page.locator("#chat-input").press("Enter")
    expect(page.locator(".chat-box").get_by_role("alert")).to_have_text("该活动已归档，只能查看")
    expect(page.locator("#chat-input")).to_have_value("活动结束后还想说一句")  # not lost
    expect(page.get_by_test_id("chat")).not_to_contain_text("活动结束后还想说一句")
    web.shot(page, "live-chat-refused-zh")
