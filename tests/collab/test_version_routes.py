"""REST for versions (collab/version_routes.py, collab/versions.py): save, diff, restore to live clients, concurrent restores."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp

from collab.api import LIVE_DOCS, RESTORE_LOCKS, LiveDocuments
from collab.prosemirror import doc_from_state, read_state, replace_content
from collab.template import heading, lesson_plan_nodes, paragraph, text
from collab.versions import RestoreLocks, get_version, restore_version
from tests.support.api import Api
from tests.support.collab import create, people
from tests.support.lessonplan import plan_clients
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.services import fresh_pg_database


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


async def test_concurrent_restores_leave_exactly_one_version_content(api: Api, server: RunningServer) -> None:
    locks = server.app[RESTORE_LOCKS]
    await _race_two_restores(api, server, (locks, locks))


async def test_concurrent_restores_from_two_processes_on_postgres(tmp_path: Path) -> None:
    """Two processes' lock sets (one asyncio lock each) on one PostgreSQL: the advisory lock serialises."""
    async with fresh_pg_database() as url:
        settings = make_settings(tmp_path / "var", database_url=url)
        async with running_server(settings) as srv, aiohttp.ClientSession() as http:
            await _race_two_restores(Api(http, srv.url), srv, (RestoreLocks(), RestoreLocks()))
