"""Notes and evaluation comments sent back into the lesson plan appear as comments in its CRDT document."""

from __future__ import annotations

import time

from pycrdt import Doc, Map

from collab.api import COMMENTS_FIELD, LIVE_DOCS
from tests.support.api import Api
from tests.support.evaluation import NOTES, SEG, lesson, populate
from tests.support.server import RunningServer


async def test_feedback_becomes_anchored_plan_comments(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    await populate(les, time.time() - 600)
    status, doc = await api.call(
        "POST",
        f"/api/rooms/{les.room_id}/docs",
        token=les.lead.token,
        json={"title": "《秋天的雨》教学设计", "template": "lesson_plan"},
    )
    assert status == 201, doc
    status, shared = await api.call(
        "GET", f"/api/rooms/{les.room_id}/notes?segment_id={SEG}", token=les.lead.token
    )
    assert status == 200 and len(shared) == len(NOTES)
    status, comments = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/comments", token=les.lead.token
    )
    assert status == 200
    overall = next(c for c in comments if c["criterion"] is None and c["observer_name"] == "张老师")
    on_methods = next(c for c in comments if c["criterion"] == "methods" and c["observer_name"] == "陈专家")
    assert on_methods["criterion_title"] == "教学方法"

    body = {
        "doc_id": doc["id"], "section": "教学过程",
        "notes": [shared[1]["id"], shared[2]["id"]],
        "comments": [{"evaluation_id": overall["evaluation_id"]}, {"evaluation_id": on_methods["evaluation_id"], "criterion": "methods"}],
    }  # fmt: skip
    for who in (les.observers[0], les.guest_editor):  # observers and editors may not send feedback
        status, err = await api.call("POST", f"/api/rooms/{les.room_id}/feedback", token=who.token, json=body)
        assert status == 403, err
    status, out = await api.call(
        "POST", f"/api/rooms/{les.room_id}/feedback", token=les.lead.token, json=body
    )
    assert status == 201, out
    assert len(out["comment_ids"]) == 4

    # read the live document's CRDT state: the comments are entries of its "comments" Y.Map
    ydoc = Doc()
    ydoc.apply_update(await server.app[LIVE_DOCS].state(doc["id"]))
    stored = ydoc.get(COMMENTS_FIELD, type=Map)
    entries = [stored[i] for i in out["comment_ids"]]
    assert all(e["section"] == "教学过程" and e["quote"] == "教学过程" and e["anchor"] for e in entries)
    assert all(e["author"] == {"id": les.lead.user_id, "name": "赵老师"} for e in entries)
    texts = [e["text"] for e in entries]
    assert "疑问" in texts[0] and "张老师" in texts[0] and NOTES[1][4] in texts[0]
    assert "建议" in texts[1] and NOTES[2][4] in texts[1]
    assert texts[2] == "【评课意见·总评】张老师：张老师：整体设计合理"
    assert texts[3] == "【评课意见·教学方法】陈专家：methods意见"

    # the collab REST API sees the same threads
    status, threads = await api.call("GET", f"/api/docs/{doc['id']}/comments", token=les.host.token)
    assert status == 200 and set(out["comment_ids"]) <= {th["id"] for th in threads["comments"]}, threads

    # anonymous mode: the evaluation comment goes in without its author
    await api.call(
        "PATCH", f"/api/rooms/{les.room_id}/evaluation", token=les.host.token, json={"anonymous": True}
    )
    status, out = await api.call(
        "POST", f"/api/rooms/{les.room_id}/feedback", token=les.lead.token,
        json={"doc_id": doc["id"], "section": "教学目标", "comments": [{"evaluation_id": overall["evaluation_id"]}]},
    )  # fmt: skip
    assert status == 201
    ydoc.apply_update(await server.app[LIVE_DOCS].state(doc["id"]))
    assert stored[out["comment_ids"][0]]["text"] == "【评课意见·总评】匿名：张老师：整体设计合理"

    for bad, code in [
        ({**body, "section": "不存在的环节"}, "section_not_found"),
        ({**body, "notes": ["nosuchnote"]}, "note_not_found"),
        ({**body, "doc_id": "nosuchdoc"}, "doc_not_found"),
        ({"doc_id": doc["id"], "section": "教学过程"}, "nothing_chosen"),
    ]:
        status, err = await api.call(
            "POST", f"/api/rooms/{les.room_id}/feedback", token=les.lead.token, json=bad
        )
        assert err["error"]["code"] == code, err
