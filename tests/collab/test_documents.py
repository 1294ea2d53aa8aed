"""REST for a room's documents (collab/documents.py): list, create, rename, delete, undelete, permissions."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pycrdt
import pytest
from sqlalchemy import select

from collab.models import DocUpdate
from collab.protocol import SyncUpdate
from tests.support.api import Api
from tests.support.collab import closed_with, create, handshake, people, room_with_doc, text_of, text_update
from tests.support.server import RunningServer


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


async def test_deleting_a_document_closes_its_connections_and_stores_no_more_edits(
    api: Api, server: RunningServer
) -> None:
    s = await room_with_doc(api, server.ctx.db)

    async def stored() -> str:
        async with server.ctx.db.session() as session:
            rows = (await session.scalars(select(DocUpdate.data).where(DocUpdate.doc_id == s.doc_id))).all()
        return text_of(pycrdt.merge_updates(*rows)) if rows else ""

    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.editor) as editor, http.ws_connect(url + s.observer) as viewer:
            await handshake(editor)
            await handshake(viewer)
            first = text_update("教学目标")
            await editor.send_bytes(bytes(SyncUpdate(first)))
            while "教学目标" not in await stored():
                await asyncio.sleep(0.05)
            status, body = await api.call("DELETE", f"/api/docs/{s.doc_id}", token=s.host)
            assert status == 200, body
            for ws in (editor, viewer):
                code, reason = await closed_with(ws)
                assert code == 4409 and reason.startswith("doc_deleted"), (code, reason)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await editor.send_bytes(bytes(SyncUpdate(text_update("删除后的改动", first))))
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url + s.editor)
        assert refused.value.status == 404
    assert await stored() == "教学目标"
