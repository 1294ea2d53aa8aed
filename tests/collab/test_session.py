"""A document session (collab/session.py) driven by real Yjs clients (stock y-websocket provider in Node)."""

from __future__ import annotations

import asyncio

from collab.api import LIVE_DOCS
from tests.support.api import Api
from tests.support.collab import room_with_doc
from tests.support.server import RunningServer
from tests.support.yjs import yclients


async def test_two_clients_converge(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    async with yclients(server.ws_url + "/collab") as yc:
        a = await yc.open(s.doc_id, s.host, "甲")
        b = await yc.open(s.doc_id, s.editor, "乙")
        await asyncio.gather(
            yc.call("insert", client=a, index=0, text="教学目标："),
            yc.call("insert", client=b, index=0, text="课题《秋天的雨》"),
        )
        want = "教学目标：课题《秋天的雨》"
        texts = {(await yc.call("wait_text_length", client=c, length=len(want)))["text"] for c in (a, b)}
        assert len(texts) == 1
        assert sorted(texts.pop()) == sorted(want)


async def test_observer_edits_never_reach_anyone(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    async with yclients(server.ws_url + "/collab") as yc:
        editor = await yc.open(s.doc_id, s.editor, "编辑")
        observer = await yc.open(s.doc_id, s.observer, "观课")
        await yc.wait_event(event="denied")  # told at connect that the connection is read-only
        await yc.call("insert", client=observer, index=0, text="观课者不该写入")
        await yc.call("insert", client=editor, index=0, text="教学过程")
        got = await yc.call("wait_text_length", client=observer, length=len("教学过程观课者不该写入"))
        assert "教学过程" in got["text"]  # the observer receives others' edits
        late = await yc.open(s.doc_id, s.host, "迟到")
        await yc.call("wait_text", client=late, text="教学过程")
        assert await yc.text(editor) == "教学过程"
    assert "观课" not in str(await server.app[LIVE_DOCS].state(s.doc_id), "utf-8", "replace")


async def test_offline_edits_merge_on_reconnect(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    async with yclients(server.ws_url + "/collab") as yc:
        a = await yc.open(s.doc_id, s.host, "甲")
        b = await yc.open(s.doc_id, s.editor, "乙")
        await yc.call("insert", client=a, text="板书设计")
        await yc.call("wait_text", client=b, text="板书设计")
        await yc.call("disconnect", client=a)
        await yc.call("insert", client=a, index=0, text="离线：")
        await yc.call("insert", client=b, text="（在线）")
        await yc.call("connect", client=a)
        want = "离线：板书设计（在线）"
        for c in (a, b):
            await yc.call("wait_text", client=c, text=want)


async def test_ten_node_clients_open_a_new_document_at_once(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    async with yclients(server.ws_url + "/collab") as yc:
        clients = [await yc.open(s.doc_id, s.editor, f"c{i}", synced=False) for i in range(10)]
        await asyncio.gather(*(yc.call("wait_synced", client=c, timeout=1500) for c in clients))
        await yc.call("insert", client=clients[3], text="同时打开")
        await asyncio.gather(*(yc.call("wait_text", client=c, text="同时打开") for c in clients))


async def test_awareness_between_real_clients(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    async with yclients(server.ws_url + "/collab") as yc:
        a = await yc.open(s.doc_id, s.host, "王老师")
        b = await yc.open(s.doc_id, s.editor, "李老师")
        for _ in range(100):
            if (await yc.call("awareness_names", client=a))["names"] == ["李老师", "王老师"]:
                break
            await asyncio.sleep(0.05)
        assert (await yc.call("awareness_names", client=a))["names"] == ["李老师", "王老师"]
        await yc.call("disconnect", client=b)
        for _ in range(100):
            if (await yc.call("awareness_names", client=a))["names"] == ["王老师"]:
                break
            await asyncio.sleep(0.05)
        assert (await yc.call("awareness_names", client=a))["names"] == ["王老师"]
