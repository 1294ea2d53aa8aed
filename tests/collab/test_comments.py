"""Comments in the document's "comments" map: anchors that survive concurrent edits, replies, resolve."""

from __future__ import annotations

import base64

import pytest

from collab.comments import add_comment, anchor_in_section, comments_map, list_threads, set_resolved
from collab.prosemirror import doc_from_state
from collab.template import initial_state
from server.errors import NotFound
from tests.support.lessonplan import plan_clients
from tests.support.tiptap import tiptap2_plan

GOAL = [9, 0]  # the XmlText of the paragraph "教学重点：" under 教学重难点


async def test_anchor_survives_concurrent_edits_before_and_inside_the_range() -> None:
    async with plan_clients() as js:
        a, b = await js.open_doc(), await js.open_doc()
        await js.apply(a, initial_state("lesson_plan"))
        await js.call("insert", client=a, path=GOAL, index=5, text="体会秋天的美好")
        await js.apply(b, await js.state(a))

        # the server comments on "秋天的美好" in the state both clients have
        doc = doc_from_state(await js.state(a))
        start, end, quote = anchor_in_section(doc, "教学重难点", "秋天的美好")
        entry, update = add_comment(doc, text="这里可以更具体一些", author_id=7, author_name="王老师",
                                    anchor=(start, end), quote=quote, section="教学重难点")  # fmt: skip
        await js.apply(a, update)

        # concurrently: b types before the range and inside it; a types right after it
        await js.call("insert", client=b, path=GOAL, index=0, text="【重点】")
        await js.call("insert", client=b, path=GOAL, index=4 + 5 + 5, text="金黄")  # inside: 秋天的|美好
        await js.call("insert", client=a, path=GOAL, index=12, text="。")  # just after the range
        await js.apply(a, await js.state(b))
        await js.apply(b, await js.state(a))
        assert await js.plain(a) == await js.plain(b)

        for client in (a, b):
            stored = (await js.call("comments", client=client))["comments"][entry["id"]]
            s = (await js.call("resolve", client=client, relpos=stored["anchor"]["start"]))["position"]
            e = (await js.call("resolve", client=client, relpos=stored["anchor"]["end"]))["position"]
            assert s["path"] == e["path"] == GOAL
            text = (await js.fragment(client))["content"][9]["content"][0]["text"]
            chars = "".join(d["insert"] for d in text)
            assert chars == "【重点】教学重点：体会秋天的金黄美好。"
            assert chars[s["index"] : e["index"] + 1] == "秋天的金黄美好"  # end: the last character

        threads = list_threads(doc_from_state(await js.state(b)))
        assert len(threads) == 1
        assert threads[0]["position"]["text"] == "秋天的金黄美好"
        assert threads[0]["section_now"] == "教学重难点"


async def test_browser_written_entry_with_yjs_positions_is_listed() -> None:
    async with plan_clients() as js:
        c = await js.open_doc()
        await js.apply(c, initial_state("lesson_plan"))
        start = (await js.call("relpos", client=c, path=[4, 0], index=0, assoc=0))["relpos"]
        end = (await js.call("relpos", client=c, path=[4, 0], index=1, assoc=0))["relpos"]  # as the web does
        entry = {"id": "web1", "thread": None, "author": {"id": 3, "name": "李老师"}, "text": "课时要写清楚",
                 "created_at": 1.0, "anchor": {"start": start, "end": end}, "quote": "课时", "section": "课时",
                 "resolved": False, "resolved_by": None, "resolved_at": None}  # fmt: skip
        await js.call("set_comment", client=c, key="web1", value=entry)
        threads = list_threads(doc_from_state(await js.state(c)))
        assert threads[0]["id"] == "web1"
        assert threads[0]["position"] == {"path": [4, 0], "start": 0, "end": 2, "text": "课时"}


def test_replies_resolve_and_reopen() -> None:
    doc = doc_from_state(initial_state("lesson_plan"))
    start, end, quote = anchor_in_section(doc, "教学目标", None)
    assert quote == "教学目标"
    root, _ = add_comment(doc, text="目标太多", author_id=1, author_name="专家", anchor=(start, end),
                          quote=quote, section="教学目标")  # fmt: skip
    add_comment(
        doc, text="同意，删掉第三条", author_id=2, author_name="张老师", anchor=None, thread=root["id"]
    )
    update = set_resolved(doc, root["id"], True, 2, "张老师")
    assert update
    [thread] = list_threads(doc)
    assert thread["resolved"] and thread["resolved_by"] == {"id": 2, "name": "张老师"}
    assert [r["text"] for r in thread["replies"]] == ["同意，删掉第三条"]
    set_resolved(doc, root["id"], False, 2, "张老师")
    assert list_threads(doc)[0]["resolved"] is False
    with pytest.raises(NotFound):
        add_comment(doc, text="x", author_id=1, author_name="a", anchor=None, thread="nope")
    with pytest.raises(NotFound):
        anchor_in_section(doc, "不存在的部分", None)
    with pytest.raises(NotFound):
        anchor_in_section(doc, "教学目标", "没有这句话")
    assert len(comments_map(doc)) == 2


def test_update_from_python_is_a_plain_map_entry() -> None:
    doc = doc_from_state(initial_state("lesson_plan"))
    start, end, quote = anchor_in_section(doc, "课时", "第 1 课时")
    entry, _ = add_comment(
        doc, text="改为两课时", author_id=1, author_name="a", anchor=(start, end), quote=quote
    )
    stored = comments_map(doc)[entry["id"]]
    assert stored["anchor"]["start"] == base64.b64encode(start).decode()
    assert stored["quote"] == "第 1 课时"


async def test_malformed_browser_entries_do_not_break_listing_or_export() -> None:
    from collab.export import docx, html, markdown
    from collab.prosemirror import read_doc

    async with plan_clients() as js:
        c = await js.open_doc()
        await js.apply(c, initial_state("lesson_plan"))
        await js.call("set_comment", client=c, key="bad1", value={"text": ["x"], "author": "nobody", "created_at": "x",
                                                                   "anchor": {"start": "???", "end": 3}})  # fmt: skip
        await js.call("set_comment", client=c, key="bad2", value={"thread": "bad1"})
        await js.call("set_comment", client=c, key="bad3", value="not an object")
        doc = doc_from_state(await js.state(c))
    [thread] = list_threads(doc)
    assert thread["id"] == "bad1" and thread["position"] is None and thread["author"]["name"] == ""
    assert thread["text"] == "['x']" and len(thread["replies"]) == 1
    for render in (markdown.render, html.render, docx.render):
        assert render("计划", read_doc(doc), [thread])


def test_anchor_the_tiptap2_client_made_still_finds_its_text() -> None:
    (thread,) = list_threads(doc_from_state(tiptap2_plan()))
    assert thread["text"] == "课题要写全称"
    assert thread["position"] == {
        "path": [1, 0],
        "start": 0,
        "end": 17,
        "text": "《秋天的雨》第一课时，重点朗读感悟",
    }
    assert thread["section_now"] == "课题"
