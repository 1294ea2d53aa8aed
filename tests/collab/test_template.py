"""The lesson-plan template: sections, and what real Yjs (and TipTap's schema) read from it."""

from __future__ import annotations

from collab.prosemirror import read_state
from collab.sections import split_sections
from collab.template import SECTION_TITLES, initial_state, lesson_plan_nodes
from tests.support.lessonplan import plan_clients
from tests.support.tiptap import normalize, tiptap2_plan, tiptap2_plan_as_read, tiptap_reads


def test_template_has_the_ten_sections_in_order() -> None:
    doc = read_state(initial_state("lesson_plan"))
    assert [s.title for s in split_sections(doc)] == list(SECTION_TITLES)
    assert doc["content"] == lesson_plan_nodes()


def test_blank_document_is_one_empty_paragraph() -> None:
    assert read_state(initial_state("blank")) == {"type": "doc", "content": [{"type": "paragraph"}]}


async def test_node_yjs_reads_the_template_and_its_edits_read_back() -> None:
    async with plan_clients() as js:
        c = await js.open_doc()
        await js.apply(c, initial_state("lesson_plan"))
        fragment = await js.fragment(c)
        heading = fragment["content"][0]
        assert heading["type"] == "heading" and heading["attrs"] == {"level": 2}
        assert heading["content"] == [{"text": [{"insert": "课题"}]}]
        goals = fragment["content"][7]  # 教学目标's ordered list: bold mark as formatting attribute {}
        item_text = goals["content"][0]["content"][0]["content"][0]["text"]
        assert (goals["type"], item_text) == (
            "orderedList",
            [{"insert": "知识与技能：", "attributes": {"bold": {}}}],
        )
        table = fragment["content"][14]
        assert [cell["type"] for cell in table["content"][0]["content"]] == ["tableHeader"] * 4
        # a Node client types into the 课题 heading, in italics
        await js.call("insert", client=c, path=[0, 0], index=2, text="：秋天的雨", attrs={"italic": True})
        back = read_state(await js.state(c))
        assert back["content"][0]["content"] == [
            {"type": "text", "text": "课题"},
            {"type": "text", "text": "：秋天的雨", "marks": [{"type": "italic"}]},
        ]
        assert back["content"][1:] == lesson_plan_nodes()[1:]


def test_tiptap_schema_accepts_the_template() -> None:
    """y-tiptap + the web editor's TipTap schema show exactly our structure (skipped without web deps)."""
    shown = tiptap_reads(initial_state("lesson_plan"))
    assert normalize(shown) == normalize({"type": "doc", "content": lesson_plan_nodes()})


def test_tiptap_schema_reads_a_plan_the_tiptap2_client_wrote_as_tiptap2_did() -> None:
    """A document written before the TipTap 3 upgrade opens unchanged: same nodes, marks and attributes (only
    attributes a newer TipTap added with a null default, such as table cells' align, may be new)."""
    shown = tiptap_reads(tiptap2_plan())
    assert normalize(shown) == normalize(tiptap2_plan_as_read())
    paragraph = shown["content"][1]["content"]
    assert [(n["text"], [m["type"] for m in n.get("marks", [])]) for n in paragraph] == [
        ("《秋天的雨》第一课时，", []),
        ("重点", ["bold"]),
        ("朗读", ["italic"]),
        ("感悟", ["underline"]),
    ]
