"""The preparation page in Chromium: two people co-edit the lesson plan and see each other's text and
cursor; an observer cannot type; comments are shared; a version is saved, compared and restored; export."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.support.tiptap import seed_doc, tiptap2_plan
from tests.support.web import Browser, Rest, room_with_invite


def _member(rest: Rest, host: dict[str, Any], room_id: str, name: str, role: str) -> dict[str, Any]:
    user = rest.register(name, "三小")
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": role}, host["token"])["code"]
    rest.ok("POST", "/api/invites/redeem", {"code": code}, user["token"])
    return user


def _open(web: Browser, session: dict[str, Any], url: str, label: str) -> Any:
    page = web.page(session, label=label)
    page.goto(url)
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    expect(page.locator(".ProseMirror")).to_contain_text("教学目标")  # the Chinese template arrived
    return page


def test_coedit_cursors_observer_comments_versions_export(web: Browser, rest: Rest) -> None:
    rest.require("/api/rooms/{room_id}/docs", "/api/docs/{doc_id}/versions", "/api/docs/{doc_id}/diff")
    host = rest.register("王老师", "教育中心")
    room_id, observer_code = room_with_invite(rest, host, "observer")
    doc = rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "《秋天的雨》教案", "template": "lesson_plan"},
                  host["token"])  # fmt: skip
    editor = _member(rest, host, room_id, "李老师", "editor")
    observer = rest.ok(
        "POST", "/api/auth/guest", {"code": observer_code, "display_name": "张老师", "school": "一小"}
    )
    url = f"{web.base}/rooms/{room_id}/docs/{doc['id']}"

    a = _open(web, host, url, "host")
    b = _open(web, editor, url, "editor")

    # A types into the first body paragraph; B sees it, and the other way round
    a_text = a.locator(".ProseMirror > p").first
    a_text.click()
    a.keyboard.press("End")
    a.keyboard.type("《秋天的雨》第一课时")
    expect(b.locator(".ProseMirror")).to_contain_text("《秋天的雨》第一课时")
    b.locator(".ProseMirror > p").nth(1).click()
    b.keyboard.press("End")
    b.keyboard.type("语文三年级上册")
    expect(a.locator(".ProseMirror")).to_contain_text("语文三年级上册")
    # each sees the other's cursor with their name
    expect(a.locator(".collaboration-carets__label", has_text="李老师")).to_be_visible()
    expect(b.locator(".collaboration-carets__label", has_text="王老师")).to_be_visible()
    web.shot(a, "prep-coedit-host-zh")

    # the observer reads but cannot type
    c = _open(web, observer, url, "observer")
    expect(c.get_by_test_id("readonly")).to_be_visible()
    expect(c.locator(".ProseMirror")).to_have_attribute("contenteditable", "false")
    expect(c.locator(".toolbar")).to_be_hidden()
    before = c.locator(".ProseMirror").inner_text()
    c.locator(".ProseMirror > p").first.click()
    c.keyboard.type("观课教师不能改")
    assert c.locator(".ProseMirror").inner_text() == before
    expect(c.locator(".ProseMirror")).to_contain_text("语文三年级上册")  # but sees live edits
    web.shot(c, "prep-observer-zh")

    # a comment anchored to selected text appears for the other editor
    a_text.click()
    a.keyboard.press("Home")
    a.keyboard.press("Shift+End")
    # the range is selected before the comment is written (a collapsed cursor makes a section comment)
    a.wait_for_function("() => getSelection().toString().includes('《秋天的雨》第一课时')")
    a.get_by_label("新批注").fill("课题要写全称")
    a.get_by_role("button", name="添加批注").click()
    thread = b.get_by_test_id("comments").locator(".thread").first
    expect(thread).to_contain_text("课题要写全称")
    expect(thread.locator("blockquote")).to_contain_text("《秋天的雨》第一课时")
    thread.get_by_label("回复").fill("好的，已改")
    thread.get_by_role("button", name="发送").click()
    expect(a.get_by_test_id("comments").locator(".thread").first).to_contain_text("好的，已改")

    # versions: save 第一稿, change the text, compare, restore
    a.get_by_role("tab", name="版本").click()
    a.get_by_role("button", name="保存为新稿").click()
    expect(a.get_by_test_id("versions")).to_contain_text("第一稿")
    a_text.click()
    a.keyboard.press("End")
    a.keyboard.type("（新增：朗读指导）")
    expect(b.locator(".ProseMirror")).to_contain_text("（新增：朗读指导）")
    a.locator("#diff-from").select_option(label="第一稿")
    a.locator("#diff-to").select_option(value="current")
    a.get_by_role("button", name="比较").click()
    expect(a.get_by_test_id("diff").locator("ins")).to_contain_text("新增：朗读指导")
    web.shot(a, "prep-diff-zh")
    a.once("dialog", lambda d: d.accept())
    a.get_by_test_id("versions").locator("li", has_text="第一稿").get_by_role(
        "button", name="恢复此稿"
    ).click()
    expect(b.locator(".ProseMirror")).not_to_contain_text("（新增：朗读指导）")
    expect(a.locator(".ProseMirror")).not_to_contain_text("（新增：朗读指导）")
    expect(a.locator(".ProseMirror")).to_contain_text("《秋天的雨》第一课时")
    expect(a.get_by_test_id("versions").locator("li")).to_have_count(2)

    # offline: B keeps typing, the edit is pending and A does not have it; back online it syncs
    b.context.set_offline(True)
    expect(b.get_by_test_id("conn")).to_have_attribute("data-state", "offline")
    b.locator(".ProseMirror > p").nth(1).click()
    b.keyboard.press("End")
    b.keyboard.type("（离线时写的）")
    expect(b.get_by_test_id("conn")).to_have_attribute("data-pending", "true")
    web.shot(b, "prep-offline-zh")
    expect(a.locator(".ProseMirror")).not_to_contain_text("（离线时写的）")
    b.context.set_offline(False)
    expect(a.locator(".ProseMirror")).to_contain_text("（离线时写的）")
    expect(b.get_by_test_id("conn")).to_have_attribute("data-pending", "false")
    expect(b.get_by_test_id("conn")).to_have_attribute("data-state", "connected")

    # export as Word
    a.get_by_role("tab", name="导出").click()
    with a.expect_download() as dl:
        a.get_by_role("button", name="Word 文档").click()
    assert re.search(r"\.docx$", dl.value.suggested_filename)
    path = dl.value.path()
    assert path is not None and open(path, "rb").read(2) == b"PK"  # a zip container, as .docx is


def test_markdown_and_html_export_and_resolving_a_thread(web: Browser, rest: Rest) -> None:
    rest.require("/api/docs/{doc_id}/export", "/api/docs/{doc_id}/comments")
    host = rest.register("王老师", "教育中心")
    room_id, _ = room_with_invite(rest, host, "observer")
    doc = rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "秋天的雨", "template": "lesson_plan"},
                  host["token"])  # fmt: skip
    page = _open(web, host, f"{web.base}/rooms/{room_id}/docs/{doc['id']}", "host")
    page.locator(".ProseMirror > p").first.click()
    page.keyboard.press("End")
    page.keyboard.type("（导出检查）")
    page.get_by_label("新批注").fill("板书设计再想想")
    page.get_by_role("button", name="添加批注").click()

    # resolve the thread: it is marked, sorted after open ones, and the server has it resolved
    thread = page.get_by_test_id("comments").locator(".thread", has_text="板书设计再想想")
    thread.get_by_role("button", name="标记为已解决").click()
    expect(thread).to_have_class(re.compile(r"\bresolved\b"))
    expect(thread.get_by_role("button", name="重新打开")).to_be_visible()
    web.shot(page, "prep-thread-resolved-zh")
    comments = rest.ok("GET", f"/api/docs/{doc['id']}/comments", token=host["token"])
    (entry,) = [c for c in comments["comments"] if c["text"] == "板书设计再想想"]
    assert entry["resolved"] is True

    # Markdown and HTML downloads hold the plan (with the live edit) and, when asked, the comments
    page.get_by_role("tab", name="导出").click()
    page.get_by_label("包含批注").check()
    texts = {}
    for fmt, button in (("md", "Markdown"), ("html", "网页 HTML")):
        with page.expect_download() as dl:
            page.get_by_role("button", name=button, exact=True).click()
        assert dl.value.suggested_filename == f"秋天的雨.{fmt}"
        path = dl.value.path()
        assert path is not None
        texts[fmt] = open(path, encoding="utf-8").read()
    for fmt, body in texts.items():
        assert "教学目标" in body and "（导出检查）" in body, fmt
        assert "板书设计再想想" in body, fmt
    assert re.search(r"^#+ ", texts["md"], re.M), texts["md"][:300]
    assert "<h" in texts["html"] and "</html>" in texts["html"].lower()


def test_a_plan_the_tiptap2_client_wrote_opens_edits_comments_and_exports(web: Browser, rest: Rest) -> None:
    """The TipTap 3 client opens a document TipTap 2 wrote: marks, lists and tables show, the old anchored
    comment still selects its text, new edits and a new anchored comment work, and export has it all."""
    host = rest.register("王老师", "教育中心")
    room_id, _ = room_with_invite(rest, host, "observer")
    doc = rest.ok(
        "POST", f"/api/rooms/{room_id}/docs", {"title": "秋天的雨", "template": "blank"}, host["token"]
    )
    seed_doc(web.base, doc["id"], host["token"], tiptap2_plan(), shows="找颜色词")
    page = web.page(host, label="host")
    page.goto(f"{web.base}/rooms/{room_id}/docs/{doc['id']}")
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "connected")
    pm = page.locator(".ProseMirror")
    expect(pm.locator("p", has_text="《秋天的雨》第一课时")).to_be_visible()
    first = pm.locator("p", has_text="《秋天的雨》第一课时")
    expect(first.locator("strong")).to_have_text("重点")
    expect(first.locator("em")).to_have_text("朗读")
    expect(first.locator("u")).to_have_text("感悟")
    expect(pm.locator("h3")).to_have_text("课前准备")
    expect(pm.locator("ul").first.locator("li")).to_have_text(["生字卡片", "落叶标本"])
    expect(pm.locator("table").first.locator("th")).to_have_text(["环节", "时间", "意图"])
    web.shot(page, "prep-tiptap2-doc-zh")

    # the comment TipTap 2 anchored selects its text when its quote is clicked
    thread = page.get_by_test_id("comments").locator(".thread", has_text="课题要写全称")
    thread.locator("blockquote").click()
    page.wait_for_function("() => getSelection().toString() === '《秋天的雨》第一课时，重点朗读感悟'")

    # typing into the old text, and a new comment on a word of it that the server anchors to that word
    first.click()
    page.keyboard.press("End")
    page.keyboard.type("（新）")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_function("() => getSelection().toString() === '新）'")
    page.get_by_label("新批注").fill("新写的")
    page.get_by_role("button", name="添加批注").click()
    expect(page.get_by_test_id("comments").locator(".thread", has_text="新写的")).to_be_visible()
    comments = rest.ok("GET", f"/api/docs/{doc['id']}/comments", token=host["token"])["comments"]
    positions = {c["text"]: c["position"]["text"] for c in comments}
    assert positions == {"课题要写全称": "《秋天的雨》第一课时，重点朗读感悟", "新写的": "新）"}

    page.get_by_role("tab", name="导出").click()
    page.get_by_label("包含批注").check()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Markdown", exact=True).click()
    path = dl.value.path()
    assert path is not None
    md = open(path, encoding="utf-8").read()
    assert "《秋天的雨》第一课时，**重点***朗读*<u>感悟（新）</u>" in md
    assert "| 环节 | 时间 | 意图 |" in md and "“新）”：新写的" in md
