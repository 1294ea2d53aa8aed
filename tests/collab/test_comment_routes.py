"""REST for comments (collab/comment_routes.py): an expert's comments reach live Yjs clients and the export."""

from __future__ import annotations

import io

import docx

from collab.api import LIVE_DOCS
from collab.comments import add_section_comment
from tests.support.api import Api
from tests.support.collab import create, people
from tests.support.lessonplan import plan_clients
from tests.support.server import RunningServer


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
