"""REST for a room's documents (collab/documents.py): list, create, rename, delete, undelete, permissions."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.collab import create, people
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
