"""Suggestions: an anchored proposal that an editor accepts, replacing the range inside the CRDT."""

from __future__ import annotations

import pytest

from collab.comments import add_comment, anchor_in_section, list_threads
from collab.export import markdown
from collab.prosemirror import doc_from_state, read_doc, read_state
from collab.suggestions import accept_suggestion
from collab.template import initial_state
from server.errors import Conflict, ValidationError
from tests.support.lessonplan import plan_clients

GOAL = [9, 0]  # 教学重点：… under 教学重难点


async def test_accepted_suggestion_replaces_the_range_after_concurrent_edits() -> None:
    async with plan_clients() as js:
        a, b = await js.open_doc(), await js.open_doc()
        await js.apply(a, initial_state("lesson_plan"))
        await js.call("insert", client=a, path=GOAL, index=5, text="体会秋天的美好", attrs={"bold": {}})
        await js.apply(b, await js.state(a))
        doc = doc_from_state(await js.state(a))
        start, end, quote = anchor_in_section(doc, "教学重难点", "美好")
        entry, update = add_comment(doc, text="用词更准确", author_id=9, author_name="专家", anchor=(start, end),
                                    quote=quote, suggestion="丰富多彩")  # fmt: skip
        await js.apply(b, update)
        await js.call("insert", client=b, path=GOAL, index=0, text="★")  # meanwhile, before the range
        doc.apply_update(await js.state(b))

        change = accept_suggestion(doc, entry["id"], 2, "李老师")
        await js.apply(a, await js.state(b))
        await js.apply(a, change)
        goal = read_state(await js.state(a))["content"][9]["content"]
        assert goal == [  # the bold of the replaced range is kept
            {"type": "text", "text": "★"},
            {"type": "text", "text": "教学重点：体会秋天的丰富多彩", "marks": [{"type": "bold"}]},
        ]
        [thread] = list_threads(doc)
        assert thread["accepted"] and thread["resolved"] and thread["resolved_by"]["name"] == "李老师"
        assert "建议改为“丰富多彩”（已采纳）" in markdown.render("x", read_doc(doc), [thread])
        with pytest.raises(Conflict):
            accept_suggestion(doc, entry["id"], 2, "李老师")


def test_suggestion_needs_a_range_and_a_comment_needs_a_suggestion_to_accept() -> None:
    doc = doc_from_state(initial_state("lesson_plan"))
    with pytest.raises(ValidationError):
        add_comment(doc, text="x", author_id=1, author_name="a", anchor=None, suggestion="y")
    start, end, _ = anchor_in_section(doc, "课时", None)
    plain, _ = add_comment(doc, text="只是评论", author_id=1, author_name="a", anchor=(start, end))
    with pytest.raises(ValidationError):
        accept_suggestion(doc, plain["id"], 1, "a")
