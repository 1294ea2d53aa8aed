"""What the REST side of lesson plans writes survives SIGKILL: the new document's template, a restore, a
comment (real ``moke serve`` subprocess, real Yjs client)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

import server.models  # noqa: F401  (users table for the foreign keys)
from rooms.permissions import Role
from server.db import Database
from tests.support.api import Api, add_member, make_room
from tests.support.lessonplan import plan_clients
from tests.support.server import ServerProcess


async def test_created_restored_and_commented_document_survives_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "var"
    # generous start-up time: the suite shares two cores with everything else
    server = await ServerProcess(data).start(timeout=120)
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, server.url)
            host, editor = await asyncio.gather(api.register(), api.register())
            db = Database(f"sqlite+aiosqlite:///{data / 'moke.db'}")
            await db.start(migrate=False)
            try:
                room_id = await make_room(db, host["user"]["id"])
                await add_member(db, room_id, editor["user"]["id"], Role.EDITOR)
            finally:
                await db.stop()
            token = editor["token"]
            status, doc = await api.call("POST", f"/api/rooms/{room_id}/docs", token=token,
                                         json={"title": "《秋天的雨》", "template": "lesson_plan"})  # fmt: skip
            assert status == 201
            base = f"/api/docs/{doc['id']}"
            v1 = (await api.call("POST", base + "/versions", token=token))[1]
            async with plan_clients(server.ws_url + "/collab") as js:
                c = await js.open_doc(doc["id"], token)
                watcher = await js.open_doc(doc["id"], host["token"])
                await js.call("insert", client=c, path=[0, 0], index=2, text="：第二稿的改动")
                await js.call("wait_plain", client=watcher, contains="第二稿的改动")
                assert (await api.call("POST", f"{base}/versions/{v1['id']}/restore", token=token))[0] == 201
                status, added = await api.call("POST", base + "/comments", token=token,
                                               json={"text": "恢复到第一稿", "section": "课题"})  # fmt: skip
                assert status == 201
            server.kill()  # SIGKILL right after the acknowledgements
            server = await ServerProcess(data, port=server.port).start(timeout=120)
            api.base = server.url
            async with plan_clients(server.ws_url + "/collab") as js:
                c = await js.open_doc(doc["id"], host["token"])
                plain = await js.plain(c)
                assert "教学反思" in plain and "第二稿的改动" not in plain
                assert added["comment"]["id"] in (await js.call("comments", client=c))["comments"]
            status, versions = await api.call("GET", base + "/versions", token=token)
            assert [v["name"] for v in versions] == ["第一稿", "恢复自第一稿"]
    finally:
        server.kill()
