"""REST for documents, versions, comments and export against a real server and real Yjs clients."""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import docx

from collab.api import LIVE_DOCS, RESTORE_LOCKS, LiveDocuments
from collab.comments import add_section_comment
from collab.prosemirror import doc_from_state, read_state, replace_content
from collab.template import heading, lesson_plan_nodes, paragraph, text
from collab.versions import RestoreLocks, get_version, restore_version
from rooms.permissions import Role
from tests.collab.lessonplan_js import plan_clients
from tests.support.api import Api, add_member, make_room
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.services import fresh_pg_database


@dataclass
class People:
    room_id: str
    host: str
    editor: str
    expert: str
    observer: str
    outsider: str
    editor_id: int


async def people(api: Api, server: RunningServer) -> People:
    host, editor, expert, observer, outsider = await asyncio.gather(*(api.register() for _ in range(5)))
    db = server.ctx.db
    room_id = await make_room(db, host["user"]["id"])
    await add_member(db, room_id, editor["user"]["id"], Role.EDITOR)
    await add_member(db, room_id, expert["user"]["id"], Role.EXPERT)
    await add_member(db, room_id, observer["user"]["id"], Role.OBSERVER)
    return People(room_id, host["token"], editor["token"], expert["token"], observer["token"],
                  outsider["token"], editor["user"]["id"])  # fmt: skip


async def create(
    api: Api, p: People, title: str = "《秋天的雨》教学设计", template: str = "lesson_plan"
) -> Any:
    status, doc = await api.call("POST", f"/api/rooms/{p.room_id}/docs", token=p.editor,
                                 json={"title": title, "template": template})  # fmt: skip
    assert status == 201, doc
    return doc


async def test_documents_list_create_rename_delete_undelete_with_permissions(
    api: Api, server: RunningServer
) -> None:
    p = await people(api, server)
    docs = f"/api/rooms/{p.room_id}/docs"
    doc = await create(api, p)
    blank = await create(api, p, "空白文档", "blank")
    status, body = await api.call("POST", docs, token=p.observer, json={"title": "x"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await api.call("POST", docs, token=p.editor, json={"title": "", "template": "lesson_plan"})
    assert status == 422
    status, body = await api.call("POST", docs, token=p.editor, json={"title": "x", "template": "poem"})
    assert status == 422
    status, body = await api.call("GET", docs, token=p.outsider)
    assert (status, body["error"]["code"]) == (403, "not_member")

    status, listed = await api.call("GET", docs, token=p.observer)
    assert status == 200 and [d["title"] for d in listed] == ["《秋天的雨》教学设计", "空白文档"]

    path = f"/api/docs/{doc['id']}"
    assert (await api.call("PATCH", path, token=p.observer, json={"title": "改名"}))[0] == 403
    status, renamed = await api.call("PATCH", path, token=p.editor, json={"title": "《秋天的雨》第二课时"})
    assert status == 200 and renamed["title"] == "《秋天的雨》第二课时"

    assert (await api.call("DELETE", path, token=p.editor))[0] == 403  # only the host deletes
    status, deleted = await api.call("DELETE", path, token=p.host)
    assert status == 200 and deleted["deleted_at"]
    status, body = await api.call("GET", path, token=p.editor)
    assert (status, body["error"]["code"]) == (404, "doc_deleted")
    assert [d["id"] for d in (await api.call("GET", docs, token=p.editor))[1]] == [blank["id"]]
    assert (await api.call("GET", docs + "?deleted=1", token=p.editor))[0] == 403
    status, trash = await api.call("GET", docs + "?deleted=1", token=p.host)
    assert [d["id"] for d in trash] == [doc["id"]]
    status, back = await api.call("POST", path + "/undelete", token=p.host)
    assert status == 200 and back["deleted_at"] is None
    assert (await api.call("GET", path, token=p.observer))[1]["title"] == "《秋天的雨》第二课时"
    assert (await api.call("GET", "/api/docs/nope", token=p.host))[0] == 404


async def test_versions_diff_and_restore_reach_connected_clients(api: Api, server: RunningServer) -> None:
    p = await people(api, server)
    doc = await create(api, p)
    base = f"/api/docs/{doc['id']}"
    async with plan_clients(server.ws_url + "/collab") as js:
        c = await js.open_doc(doc["id"], p.editor)
        watcher = await js.open_doc(doc["id"], p.observer)
        assert "教学反思" in await js.plain(watcher)  # the template arrived through the live server
        await js.call("insert", client=c, path=[0, 0], index=2, text="：秋天的雨")
        await js.call("wait_plain", client=watcher, contains="课题：秋天的雨")
        status, v1 = await api.call("POST", base + "/versions", token=p.editor)
        assert status == 201 and (v1["number"], v1["name"]) == (1, "第一稿")

        await js.call("insert", client=c, path=[9, 0], index=5, text="感受秋天的美")
        await js.call("wait_plain", client=watcher, contains="感受秋天的美")
        status, v2 = await api.call("POST", base + "/versions", token=p.editor, json={"name": "教研组修改稿"})
        assert status == 201 and (v2["number"], v2["name"]) == (2, "教研组修改稿")
        assert (await api.call("POST", base + "/versions", token=p.observer))[0] == 403

        status, listed = await api.call("GET", base + "/versions", token=p.observer)
        assert [(v["name"], v["created_by"]) for v in listed] == [
            ("第一稿", p.editor_id),
            ("教研组修改稿", p.editor_id),
        ]
        assert all(v["created_at"] > 0 for v in listed)
        status, content = await api.call("GET", f"{base}/versions/{v1['id']}", token=p.observer)
        assert status == 200 and "课题：秋天的雨" in content["text"] and "感受秋天的美" not in content["text"]
        assert content["content"]["content"][0]["content"][0]["text"] == "课题：秋天的雨"

        status, diff = await api.call("GET", f"{base}/diff?from={v1['id']}&to={v2['id']}", token=p.observer)
        assert status == 200
        assert diff["sections"] == [{"section": "教学重难点", "status": "changed",
                                     "changes": [{"before": "教学重点：", "removed": "", "added": "感受秋天的美"}]}]  # fmt: skip
        await js.call("insert", client=c, path=[20, 0], index=0, text="学生很投入")
        await js.call("wait_plain", client=watcher, contains="学生很投入")
        status, diff_now = await api.call("GET", f"{base}/diff?from={v2['id']}", token=p.observer)
        assert [e["section"] for e in diff_now["sections"]] == ["教学反思"]
        assert (await api.call("GET", f"{base}/diff", token=p.observer))[0] == 400
        assert (await api.call("GET", f"{base}/diff?from=nope", token=p.observer))[0] == 404

        # restore 第一稿: every connected client sees it, and the restore is a new version
        assert (await api.call("POST", f"{base}/versions/{v1['id']}/restore", token=p.observer))[0] == 403
        status, v3 = await api.call("POST", f"{base}/versions/{v1['id']}/restore", token=p.editor)
        assert (
            status == 201
            and v3["number"] == 3
            and v3["restored_from"] == v1["id"]
            and v3["name"] == "恢复自第一稿"
        )
        for client in (c, watcher):
            await js.call("wait_plain", client=client, contains="感受秋天的美", absent=True)
            await js.call("wait_plain", client=client, contains="学生很投入", absent=True)
        assert await js.plain(c) == await js.plain(watcher)
        assert "课题：秋天的雨" in await js.plain(watcher)
        v3_text = (await api.call("GET", f"{base}/versions/{v3['id']}", token=p.host))[1]["text"]
        assert v3_text == content["text"]
        # and the client keeps editing the restored content
        await js.call("insert", client=c, path=[0, 0], index=0, text="新")
        await js.call("wait_plain", client=watcher, contains="新课题")
    live = server.app[LIVE_DOCS]
    assert (
        "新课题：秋天的雨"
        in (await api.call("GET", f"{base}/export?format=md", token=p.observer))[1].decode()
    )
    assert await live.state(doc["id"])


async def test_comments_by_expert_reach_clients_and_export(api: Api, server: RunningServer) -> None:
    p = await people(api, server)
    doc = await create(api, p)
    base = f"/api/docs/{doc['id']}"
    async with plan_clients(server.ws_url + "/collab") as js:
        c = await js.open_doc(doc["id"], p.editor)
        watcher = await js.open_doc(doc["id"], p.expert)  # what it sees, the server has
        await js.call("insert", client=c, path=[9, 0], index=5, text="体会秋天的美好")
        await js.call("wait_plain", client=watcher, contains="体会秋天的美好")
        status, added = await api.call("POST", base + "/comments", token=p.expert,
                                       json={"text": "重点要可检测", "section": "教学重难点", "quote": "秋天的美好"})  # fmt: skip
        assert status == 201, added
        cid = added["comment"]["id"]
        await js.call("wait_comment", client=c, key=cid)
        stored = (await js.call("comments", client=c))["comments"][cid]
        assert stored["author"]["name"] and stored["quote"] == "秋天的美好" and stored["resolved"] is False
        start = (await js.call("resolve", client=c, relpos=stored["anchor"]["start"]))["position"]
        assert start["path"] == [9, 0] and start["index"] == 7

        status, body = await api.call(
            "POST", base + "/comments", token=p.observer, json={"text": "x", "section": "课题"}
        )
        assert (status, body["error"]["code"]) == (403, "forbidden")
        status, body = await api.call("POST", base + "/comments", token=p.expert, json={"text": "没有位置"})
        assert status == 422
        status, body = await api.call("POST", base + "/comments", token=p.expert,
                                      json={"text": "x", "section": "课题", "quote": "不存在"})  # fmt: skip
        assert (status, body["error"]["code"]) == (404, "quote_not_found")
        status, body = await api.call("POST", base + "/comments", token=p.expert,
                                      json={"text": "x", "anchor": {"start": "!!", "end": "AA=="}})  # fmt: skip
        assert (status, body["error"]["code"]) == (422, "bad_anchor")

        status, reply = await api.call(
            "POST", base + "/comments", token=p.editor, json={"text": "好的，已改", "thread": cid}
        )
        assert status == 201
        await js.call("wait_comment", client=c, key=reply["comment"]["id"])
        status, resolved = await api.call(
            "PATCH", f"{base}/comments/{cid}", token=p.editor, json={"resolved": True}
        )
        assert status == 200 and resolved["comments"][0]["resolved"] is True
        assert (await api.call("PATCH", f"{base}/comments/nope", token=p.editor, json={"resolved": True}))[
            0
        ] == 404

        # an expert's suggestion: only an editor may accept it, and every client sees the new text
        status, sug = await api.call("POST", base + "/comments", token=p.expert,
                                     json={"text": "换个说法", "section": "教学重难点", "quote": "体会",
                                           "suggestion": "感悟"})  # fmt: skip
        assert status == 201 and sug["comment"]["suggestion"] == "感悟"
        sid = sug["comment"]["id"]
        assert (await api.call("PATCH", f"{base}/comments/{sid}", token=p.expert, json={"accept": True}))[
            0
        ] == 403
        status, after = await api.call(
            "PATCH", f"{base}/comments/{sid}", token=p.editor, json={"accept": True}
        )
        assert status == 200 and {t["id"]: t for t in after["comments"]}[sid]["accepted"] is True
        await js.call("wait_plain", client=watcher, contains="教学重点：感悟秋天的美好")
        status, again = await api.call(
            "PATCH", f"{base}/comments/{sid}", token=p.editor, json={"accept": True}
        )
        assert (status, again["error"]["code"]) == (409, "suggestion_accepted")
        assert (await api.call("PATCH", f"{base}/comments/{sid}", token=p.editor, json={}))[0] == 422

        # evaluation's helper: a comment on a section heading
        feedback = await add_section_comment(
            server.app[LIVE_DOCS], doc["id"], "教学过程", "导入用时过长", "观课记录", 1
        )
        await js.call("wait_comment", client=c, key=feedback)

        # someone types inside the quoted range; the listing follows the anchor
        await js.call("insert", client=c, path=[9, 0], index=10, text="金色")
        await js.call("wait_plain", client=watcher, contains="秋天的金色美好")
        status, listed = await api.call("GET", base + "/comments", token=p.observer)
        threads = {t["id"]: t for t in listed["comments"]}
        assert threads[cid]["position"]["text"] == "秋天的金色美好"
        assert [r["text"] for r in threads[cid]["replies"]] == ["好的，已改"]
        assert threads[feedback]["section_now"] == "教学过程" and threads[feedback]["quote"] == "教学过程"

    status, md = await api.call("GET", f"{base}/export?format=md&comments=1", token=p.observer)
    assert status == 200
    text = md.decode("utf-8")
    assert (
        "## 批注" in text and "重点要可检测" in text and "“秋天的金色美好”" in text and "导入用时过长" in text
    )
    status, page = await api.call("GET", f"{base}/export?format=html", token=p.observer)
    assert (
        status == 200 and "<h2>教学目标</h2>" in page.decode("utf-8") and "批注" not in page.decode("utf-8")
    )
    status, data = await api.call("GET", f"{base}/export?format=docx&comments=1", token=p.observer)
    parsed = docx.Document(io.BytesIO(data))
    assert any(par.text == "教学重点：感悟秋天的金色美好" for par in parsed.paragraphs)
    assert any("重点要可检测" in par.text for par in parsed.paragraphs)
    assert (await api.call("GET", f"{base}/export?format=pdf", token=p.observer))[0] == 400
    assert (await api.call("GET", f"{base}/export?format=md", token=p.outsider))[0] == 403


async def test_export_of_a_version_and_content_headers(api: Api, server: RunningServer) -> None:
    p = await people(api, server)
    doc = await create(api, p)
    status, v1 = await api.call("POST", f"/api/docs/{doc['id']}/versions", token=p.editor)
    assert status == 201
    async with api.http.get(f"{api.base}/api/docs/{doc['id']}/export?format=html&version={v1['id']}",
                            headers={"Authorization": f"Bearer {p.observer}"}) as resp:  # fmt: skip
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
        page = await resp.text()
    assert "《秋天的雨》教学设计（第一稿）" in page


class Rendezvous:
    """The real live documents, but a state read waits (up to 0.3 s) for a second reader: without the
    restore lock both restores would then compute their change from the same state."""

    def __init__(self, live: LiveDocuments) -> None:
        self.live = live
        self.readers = 0
        self.both = asyncio.Event()

    async def state(self, doc_id: str) -> bytes:
        state = await self.live.state(doc_id)
        self.readers += 1
        if self.readers == 2:
            self.both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.both.wait(), 0.3)
        return state

    async def apply_update(self, doc_id: str, update: bytes, *, origin: str) -> None:
        await self.live.apply_update(doc_id, update, origin=origin)


async def _race_two_restores(
    api: Api, server: RunningServer, locks: tuple[RestoreLocks, RestoreLocks]
) -> None:
    p = await people(api, server)
    doc = await create(api, p)
    base = f"/api/docs/{doc['id']}"
    live = server.app[LIVE_DOCS]
    v1 = (await api.call("POST", base + "/versions", token=p.editor))[1]
    current = doc_from_state(await live.state(doc["id"]))
    second = [heading("课题"), paragraph(text("第二稿的全部内容"))]
    await live.apply_update(doc["id"], replace_content(current, second), origin="test")
    v2 = (await api.call("POST", base + "/versions", token=p.editor))[1]
    db = server.ctx.db
    racing = Rendezvous(live)

    async def restore(version_id: str, mine: RestoreLocks) -> None:
        version = await get_version(db, doc["id"], version_id)
        async with mine.hold(db, doc["id"]):
            await restore_version(db, racing, doc["id"], version, p.editor_id)

    await asyncio.gather(restore(v1["id"], locks[0]), restore(v2["id"], locks[1]))
    final = read_state(await live.state(doc["id"]))["content"]
    # whichever restore ran last wins whole; never both contents one after the other
    assert final in (lesson_plan_nodes(), second)
    versions = (await api.call("GET", base + "/versions", token=p.editor))[1]
    assert [v["number"] for v in versions] == [1, 2, 3, 4]


async def test_concurrent_restores_leave_exactly_one_version_content(api: Api, server: RunningServer) -> None:
    locks = server.app[RESTORE_LOCKS]
    await _race_two_restores(api, server, (locks, locks))


async def test_concurrent_restores_from_two_processes_on_postgres(tmp_path: Path) -> None:
    """Two processes' lock sets (one asyncio lock each) on one PostgreSQL: the advisory lock serialises."""
    async with fresh_pg_database() as url:
        settings = make_settings(tmp_path / "var", database_url=url)
        async with running_server(settings) as srv, aiohttp.ClientSession() as http:
            await _race_two_restores(Api(http, srv.url), srv, (RestoreLocks(), RestoreLocks()))
