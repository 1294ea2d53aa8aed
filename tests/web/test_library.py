"""The studio library page in Chromium, at desktop and phone width: a plan added from a studio room is found by a
word of its 教学过程; filters narrow the list; a file uploaded through the page is listed, a renamed one is
refused with a message saying why; the host publishes an item and its link opens without logging in, read-only;
nothing scrolls sideways on a phone. Screenshots: ``test-artifacts/web/library-*.png``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.support.library import pdf_bytes, png_bytes, upload_sync
from tests.support.web import Browser, Rest, fits_width


def _studio(rest: Rest) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A studio (host + one participant), a 集体备课 room of it with a lesson plan added to the library,
    and two uploaded files."""
    host = rest.register("王主持")
    teacher = rest.register("李老师")
    body = {"name": "王老师语文名师工作室", "subject": "语文", "grade_band": "小学"}
    studio_id = rest.ok("POST", "/api/studios", body, host["token"])["id"]
    code = rest.ok("POST", f"/api/studios/{studio_id}/invites", {"role": "participant"}, host["token"])[
        "code"
    ]
    rest.ok("POST", "/api/studio-invites/redeem", {"code": code}, teacher["token"])
    room = rest.ok("POST", f"/api/studios/{studio_id}/rooms",
                   {"room": {"title": "《秋天的雨》集体备课", "kind": "prep"}}, host["token"])  # fmt: skip
    room_id = room.get("id") or room["room"]["id"]
    doc = rest.ok("POST", f"/api/rooms/{room_id}/docs", {"title": "《秋天的雨》教案", "template": "lesson_plan"},
                  host["token"])  # fmt: skip
    rest.ok("POST", f"/api/studios/{studio_id}/library/items",
            {"kind": "plan", "room_id": room_id, "doc_id": doc["id"], "tags": ["定稿"]}, host["token"])  # fmt: skip
    upload_sync(rest.base, host["token"], studio_id, "秋天的雨课件.pdf", pdf_bytes(), tags="课件,第二课时")
    upload_sync(rest.base, host["token"], studio_id, "板书设计.png", png_bytes(320, 180), tags="板书")
    return host, teacher, studio_id


def test_library_page_search_upload_publish(web: Browser, rest: Rest, tmp_path: Path) -> None:
    rest.require("/api/studios", "/api/studios/{studio_id}/library")
    host, teacher, studio_id = _studio(rest)

    page = web.page(host, label="host")
    page.goto(f"{web.base}/studios/{studio_id}/library")
    items = page.locator(".library-item")
    expect(items).to_have_count(3)
    expect(page.get_by_test_id("library-total")).to_have_text("共 3 项")
    web.shot(page, "library-desktop")

    # a word of the plan's 教学过程 finds it, and only it
    page.get_by_role("searchbox").fill("探究新知")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(items).to_have_count(1)
    expect(items.first.locator(".item-title")).to_have_text("《秋天的雨》教案")
    page.get_by_role("searchbox").fill("")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(items).to_have_count(3)

    # filters
    page.get_by_label("类型").select_option("file")
    expect(items).to_have_count(2)
    page.locator("select[name=tag]").select_option("板书")
    expect(items).to_have_count(1)
    expect(items.first.locator(".item-title")).to_have_text("板书设计")
    page.locator("select[name=tag]").select_option("")
    page.get_by_label("类型").select_option("")
    expect(items).to_have_count(3)

    # upload through the page: a real file is listed, a renamed one is refused with the reason
    renamed = tmp_path / "照片.pdf"
    renamed.write_bytes(png_bytes())
    web.expect_console_error("415")
    page.get_by_test_id("upload-file").set_input_files(str(renamed))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_test_id("upload-status")).to_contain_text("文件内容与扩展名不符")
    good = tmp_path / "学习单.pdf"
    good.write_bytes(pdf_bytes())
    page.get_by_test_id("upload-file").set_input_files(str(good))
    page.locator("input[name=tags]").fill("学习单")
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_test_id("upload-status")).to_have_text("“学习单.pdf”已上传")
    expect(items).to_have_count(4)

    # publish the plan: a link appears; opened without logging in it shows the plan read-only
    plan = items.filter(has_text="《秋天的雨》教案")
    plan.get_by_role("button", name="公开分享").click()
    link = plan.locator("input.public-link")
    expect(link).to_have_value(re.compile(r"/showcase/[A-Za-z0-9_-]+$"))
    expect(plan.locator(".tag.public")).to_have_text("已公开")
    url = link.input_value()
    web.shot(page, "library-published")

    visitor = web.page(None, label="visitor")
    visitor.goto(url)
    expect(visitor.locator("h1")).to_have_text("《秋天的雨》教案")
    expect(visitor.get_by_text("公开分享的资源，只读")).to_be_visible()
    expect(visitor.get_by_role("button", name="公开分享")).to_have_count(0)
    expect(visitor.get_by_role("button", name="删除")).to_have_count(0)
    web.shot(visitor, "library-public-link")

    # the participant sees everything but may not publish or delete others' items
    mine = web.page(teacher, label="teacher", phone=True)
    mine.goto(f"{web.base}/studios/{studio_id}/library")
    expect(mine.locator(".library-item")).to_have_count(4)
    expect(mine.get_by_role("button", name="公开分享")).to_have_count(0)
    expect(mine.get_by_role("button", name="删除")).to_have_count(0)
    assert fits_width(mine)
    web.shot(mine, "library-phone")

    # an outsider is told they are not a member
    outsider = rest.register("赵老师")
    web.expect_console_error("403")
    other = web.page(outsider, label="outsider")
    other.goto(f"{web.base}/studios/{studio_id}/library")
    expect(other.get_by_role("alert")).to_contain_text("不是该工作室的成员")

    # making it private again kills the link
    plan.get_by_role("button", name="取消公开").click()
    expect(plan.locator(".tag.public")).to_have_count(0)
    web.expect_console_error("404")
    visitor.reload()
    expect(visitor.get_by_role("alert")).to_contain_text("该链接已失效或资源未公开")


def test_showcase_and_library_fit_a_phone(web: Browser, rest: Rest) -> None:
    rest.require("/api/studios", "/api/studios/{studio_id}/library")
    host, _, studio_id = _studio(rest)
    for item in rest.ok("GET", f"/api/studios/{studio_id}/library", None, host["token"])["items"]:
        rest.ok("PATCH", f"/api/library/{item['id']}", {"visibility": "public"}, host["token"])
    phone = web.page(host, label="host-phone", phone=True)
    # the studio home's library slot: the newest items, and a search that opens the library with it
    phone.goto(f"{web.base}/studios/{studio_id}")
    slot = phone.locator("#studio-library")
    expect(slot.get_by_test_id("studio-library").locator("li")).to_have_count(3)
    slot.scroll_into_view_if_needed()
    web.shot(phone, "library-studio-slot-phone")
    slot.get_by_role("searchbox").fill("探究新知")
    slot.get_by_role("button", name="搜索").click()
    expect(phone.locator(".library-item")).to_have_count(1)
    expect(phone.get_by_role("searchbox")).to_have_value("探究新知")
    phone.goto(f"{web.base}/studios/{studio_id}/library")
    expect(phone.locator(".library-item")).to_have_count(3)
    assert fits_width(phone)
    web.shot(phone, "library-phone-host")

    visitor = web.page(None, label="visitor-phone", phone=True)
    visitor.goto(f"{web.base}/studios/{studio_id}/showcase")
    expect(visitor.locator(".library-item")).to_have_count(3)
    assert fits_width(visitor)
    web.shot(visitor, "library-showcase-phone")
    visitor.get_by_role("link", name="板书设计").click()
    expect(visitor.locator("img.preview")).to_be_visible()
    assert fits_width(visitor)
    web.shot(visitor, "library-showcase-item-phone")
