"""Real Yjs clients (stock y-websocket WebsocketProvider in Node) against the in-process server."""

from __future__ import annotations

import asyncio

from tests.collab.conftest import room_with_doc
from tests.collab.yjs import yclients
from tests.support.api import Api
from tests.support.server import RunningServer


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
