"""The library over REST on a real server: uploads checked by content and size, files served with ranges,
items visible to the studio's members only until published, public links read-only and revocable, plans
from a studio room found by a word of their 教学过程 (on SQLite here, PostgreSQL below)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from collab.prosemirror import state_with
from collab.template import heading, paragraph, text
from collab.versions import save_version
from server.config import Settings
from tests.support.api import Api, make_room
from tests.support.collab import make_doc
from tests.support.library import (
    Team,
    add_studio_room,
    make_cycle,
    ooxml_bytes,
    pdf_bytes,
    plain_zip,
    png_bytes,
    team,
)
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.services import fresh_pg_database

MAX = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", library_max_bytes=MAX)


async def upload(
    api: Api, token: str, studio_id: str, filename: str, data: bytes, **query: str
) -> tuple[int, Any]:
    return await api.call("POST", f"/api/studios/{studio_id}/library/files", token=token, data=data,
                          params={"filename": filename, **query},
                          headers={"Content-Type": "application/octet-stream"})  # fmt: skip


def code(body: Any) -> str:
    return str(body["error"]["code"])


async def test_uploads_are_checked_by_content_and_size(api: Api, server: RunningServer) -> None:
    t = await team(api, server.ctx.db)
    status, item = await upload(
        api, t.participant, t.studio_id, "秋天的雨.pdf", pdf_bytes(), tags="课件,第二课时"
    )
    assert status == 201, item
    assert (item["kind"], item["content_type"], item["title"]) == ("file", "application/pdf", "秋天的雨")
    assert (item["subject"], item["grade"], item["tags"]) == ("语文", "小学", ["课件", "第二课时"])
    status, item = await upload(api, t.core, t.studio_id, "deck.PPTX", ooxml_bytes("ppt/presentation.xml"))
    assert status == 201 and item["content_type"].endswith("presentationml.presentation"), item
    status, item = await upload(api, t.core, t.studio_id, "板书.png", png_bytes())
    assert status == 201 and item["content_type"] == "image/png", item

    refusals = [
        ("setup.exe", b"MZ\x90\x00", 415, "unsupported_type"),  # refused by name before the body is read
        ("photo.pdf", png_bytes(), 415, "type_mismatch"),  # a PNG renamed to .pdf
        ("slides.pptx", ooxml_bytes("word/document.xml"), 415, "type_mismatch"),  # a DOCX renamed
        ("slides.pptx", plain_zip(), 415, "unsupported_type"),  # a zip that is no office document
        ("notes.pdf", "教学过程：……".encode(), 415, "unsupported_type"),  # text with a PDF name
        ("empty.pdf", b"", 422, "empty_file"),
        ("big.pdf", b"%PDF-" + b"0" * MAX, 413, "too_large"),
    ]
    for filename, data, want_status, want_code in refusals:
        status, body = await upload(api, t.host, t.studio_id, filename, data)
        assert (status, code(body)) == (want_status, want_code), (filename, body)
        assert body["error"]["message"]
    # nothing of the refused uploads stays on disk, half-written or whole
    stored = sorted(p.suffix for p in (server.ctx.settings.data_dir / "library").iterdir())
    assert stored == [".pdf", ".png", ".pptx"]


async def test_a_file_is_served_with_ranges(api: Api, server: RunningServer) -> None:
    t = await team(api, server.ctx.db)
    data = pdf_bytes()
    _, item = await upload(api, t.host, t.studio_id, "教案.pdf", data)
    url = server.url + item["file_url"]
    auth = {"Authorization": f"Bearer {t.participant}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=auth) as resp:
            assert resp.status == 200 and await resp.read() == data
            assert resp.headers["Content-Type"] == "application/pdf"
            assert resp.headers["Accept-Ranges"] == "bytes"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(url, headers={**auth, "Range": "bytes=100-199"}) as resp:
            assert resp.status == 206 and await resp.read() == data[100:200]
            assert resp.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        async with http.get(url, headers={**auth, "Range": "bytes=-10"}) as resp:
            assert resp.status == 206 and await resp.read() == data[-10:]
        async with http.get(url, headers={**auth, "Range": f"bytes={len(data) + 5}-"}) as resp:
            assert resp.status == 416
        async with http.get(url, params={"download": "1"}, headers=auth) as resp:
            assert resp.headers["Content-Disposition"].startswith("attachment;")
            assert "filename*=UTF-8''%E6%95%99%E6%A1%88.pdf" in resp.headers["Content-Disposition"]
        # a media element's URL token opens this one file
        status, tok = await api.call(
            "POST", "/api/url-token", token=t.participant, json={"path": item["file_url"]}
        )
        assert status == 200, tok
        async with http.get(url, params={"t": tok["token"]}, headers={"Range": "bytes=0-4"}) as resp:
            assert resp.status == 206 and await resp.read() == b"%PDF-"


async def test_only_members_see_items_until_they_are_published(api: Api, server: RunningServer) -> None:
    t = await team(api, server.ctx.db)
    _, item = await upload(api, t.participant, t.studio_id, "学习单.pdf", pdf_bytes())
    item_path, file_path = f"/api/library/{item['id']}", item["file_url"]
    for path in (f"/api/studios/{t.studio_id}/library", item_path, file_path):
        status, body = await api.call("GET", path, token=t.outsider)
        assert (status, code(body)) == (403, "not_studio_member"), path
        status, body = await api.call("GET", path)
        assert status == 401, path
    status, page = await api.call("GET", f"/api/studios/{t.studio_id}/library", token=t.participant)
    assert status == 200 and [i["id"] for i in page["items"]] == [item["id"]]
    assert (await api.call("PATCH", item_path, token=t.outsider, json={"title": "x"}))[0] == 403

    # the author may rename it; publishing is for the host and core members
    status, body = await api.call(
        "PATCH", item_path, token=t.participant, json={"title": "《秋天的雨》学习单"}
    )
    assert status == 200 and body["title"] == "《秋天的雨》学习单"
    status, body = await api.call("PATCH", item_path, token=t.participant, json={"visibility": "public"})
    assert (status, code(body)) == (403, "forbidden")
    status, pub = await api.call("PATCH", item_path, token=t.core, json={"visibility": "public"})
    assert status == 200 and pub["visibility"] == "public" and pub["public_token"]
    token = pub["public_token"]

    # anyone with the link reads it, without logging in, and can change nothing
    status, shown = await api.call("GET", f"/api/public/library/{token}")
    assert status == 200 and shown["title"] == "《秋天的雨》学习单" and shown["studio"] == "王老师语文工作室"
    assert "created_by" not in shown and "room_id" not in shown
    status, data = await api.call("GET", shown["file_url"], headers={"Range": "bytes=0-3"})
    assert status == 206 and data == b"%PDF"
    status, listed = await api.call("GET", f"/api/public/studios/{t.studio_id}/library")
    assert status == 200 and [i["title"] for i in listed] == ["《秋天的雨》学习单"]
    for method in ("PATCH", "DELETE", "PUT", "POST"):
        status, _ = await api.call(method, f"/api/public/library/{token}", json={"title": "x"})
        assert status == 405, method
    assert (await api.call("PATCH", item_path, json={"title": "x"}))[0] == 401
    assert (await api.call("DELETE", item_path))[0] == 401
    assert (await api.call("GET", item_path))[0] == 401  # the member route still needs a login

    # back to members only: the link is dead, and publishing again makes a new one
    status, _ = await api.call("PATCH", item_path, token=t.host, json={"visibility": "members"})
    assert status == 200
    status, body = await api.call("GET", f"/api/public/library/{token}")
    assert (status, code(body)) == (404, "link_not_found")
    assert (await api.call("GET", f"/api/public/library/{token}/file"))[0] == 404
    assert (await api.call("GET", f"/api/public/studios/{t.studio_id}/library"))[1] == []
    _, again = await api.call("PATCH", item_path, token=t.host, json={"visibility": "public"})
    assert again["public_token"] not in (None, token)

    # others' items: only their author or the host and core members delete them
    assert (await api.call("DELETE", item_path, token=t.outsider))[0] == 403
    _, other = await upload(api, t.host, t.studio_id, "课件.pdf", pdf_bytes())
    status, body = await api.call("DELETE", f"/api/library/{other['id']}", token=t.participant)
    assert (status, code(body)) == (403, "forbidden")
    assert (await api.call("DELETE", item_path, token=t.participant))[0] == 204
    assert (await api.call("GET", item_path, token=t.host))[0] == 404


PLAN = [
    heading("《秋天的雨》教学设计", 1),
    heading("教学目标"),
    paragraph(text("认识“油、钥”等15个生字，有感情地朗读课文。")),
    heading("教学过程"),
    paragraph(text("一、情境导入：播放秋雨的视频。")),
    paragraph(text("二、合作探究：小组朗读第二自然段，圈出表示颜色的词语。")),
]


async def plan_item(api: Api, server: RunningServer, t: Team) -> tuple[str, dict[str, Any]]:
    """A studio room in a cycle whose plan's final version (第一稿) is added to the library."""
    db = server.ctx.db
    room_id = await make_room(db, t.host_id)
    cycle_id = await make_cycle(db, t.studio_id, t.host_id)
    doc_id = await make_doc(db, room_id, t.host_id, title="《秋天的雨》教案")
    version = await save_version(db, doc_id, state_with(PLAN), t.host_id)
    await add_studio_room(db, t.studio_id, room_id, t.host_id, cycle_id=cycle_id, doc_id=doc_id,
                          final_version_id=version.id)  # fmt: skip
    status, item = await api.call("POST", f"/api/studios/{t.studio_id}/library/items", token=t.host,
                                  json={"kind": "plan", "room_id": room_id, "tags": ["定稿"]})  # fmt: skip
    assert status == 201, item
    return cycle_id, item


async def search(api: Api, t: Team, **query: str) -> list[str]:
    status, page = await api.call(
        "GET", f"/api/studios/{t.studio_id}/library", token=t.participant, params=query
    )
    assert status == 200, page
    return [i["title"] for i in page["items"]]


async def _plans_are_found_by_their_text(api: Api, server: RunningServer) -> None:
    t = await team(api, server.ctx.db)
    cycle_id, plan = await plan_item(api, server, t)
    assert (
        plan["kind"] == "plan"
        and plan["cycle_id"] == cycle_id
        and plan["title"] == "《秋天的雨》教案（第一稿）"
    )
    assert plan["content_type"].endswith("wordprocessingml.document") and plan["size"] > 0
    status, data = await api.call("GET", plan["file_url"], token=t.participant)
    assert status == 200 and data[:2] == b"PK"
    await upload(api, t.core, t.studio_id, "秋天的雨课件.pptx", ooxml_bytes("ppt/presentation.xml"), tags="课件",
                 subject="语文", grade="三年级")  # fmt: skip
    await upload(api, t.core, t.studio_id, "数学.png", png_bytes(), subject="数学")

    assert await search(api, t, q="合作探究") == ["《秋天的雨》教案（第一稿）"]  # a word of its 教学过程
    assert await search(api, t, q="圈出表示颜色") == ["《秋天的雨》教案（第一稿）"]
    assert await search(api, t, q="情境导入 朗读") == ["《秋天的雨》教案（第一稿）"]
    assert await search(api, t, q="探究合作") == []
    assert sorted(await search(api, t, q="秋天的雨")) == ["《秋天的雨》教案（第一稿）", "秋天的雨课件"]
    assert await search(api, t, q="课件", kind="file") == ["秋天的雨课件"]
    assert await search(api, t, tag="定稿") == ["《秋天的雨》教案（第一稿）"]
    assert await search(api, t, cycle_id=cycle_id) == ["《秋天的雨》教案（第一稿）"]
    assert await search(api, t, subject="数学") == ["数学"]
    assert await search(api, t, grade="三年级") == ["秋天的雨课件"]
    status, page = await api.call("GET", f"/api/studios/{t.studio_id}/library", token=t.host)
    facets = page["facets"]
    assert facets["kinds"] == {"plan": 1, "file": 2} and facets["tags"] == ["定稿", "课件"]
    assert facets["subjects"] == ["数学", "语文"] and facets["cycles"] == [
        {"id": cycle_id, "title": "《秋天的雨》"}
    ]

    # renaming re-indexes the text with the new title; the plan's text stays findable
    await api.call("PATCH", f"/api/library/{plan['id']}", token=t.host, json={"title": "秋雨定稿"})
    assert await search(api, t, q="合作探究") == ["秋雨定稿"]
    assert await search(api, t, q="秋雨定稿") == ["秋雨定稿"]


async def test_plans_are_found_by_their_text_on_sqlite(api: Api, server: RunningServer) -> None:
    await _plans_are_found_by_their_text(api, server)


async def test_plans_are_found_by_their_text_on_postgresql(tmp_path: Path) -> None:
    async with fresh_pg_database() as url:
        settings = make_settings(tmp_path / "var", database_url=url, library_max_bytes=MAX)
        async with running_server(settings) as srv, aiohttp.ClientSession() as http:
            await _plans_are_found_by_their_text(Api(http, srv.url), srv)


async def test_adding_from_a_room_checks_the_room(api: Api, server: RunningServer) -> None:
    t = await team(api, server.ctx.db)
    db = server.ctx.db
    stray = await make_room(db, t.host_id)  # not one of the studio's rooms
    status, body = await api.call("POST", f"/api/studios/{t.studio_id}/library/items", token=t.host,
                                  json={"kind": "plan", "room_id": stray, "doc_id": "x"})  # fmt: skip
    assert (status, code(body)) == (422, "room_not_in_studio")
    room_id = await make_room(db, t.host_id)
    await add_studio_room(db, t.studio_id, room_id, t.host_id)
    status, body = await api.call("POST", f"/api/studios/{t.studio_id}/library/items", token=t.host,
                                  json={"kind": "recording", "room_id": room_id})  # fmt: skip
    assert (status, code(body)) == (422, "missing_source")
    status, body = await api.call("POST", f"/api/studios/{t.studio_id}/library/items", token=t.outsider,
                                  json={"kind": "voice", "room_id": room_id, "voice_id": "v"})  # fmt: skip
    assert (status, code(body)) == (403, "not_studio_member")
    status, body = await api.call("GET", "/api/studios/nope/library", token=t.host)
    assert (status, code(body)) == (404, "studio_not_found")
