"""ProseMirror JSON <-> pycrdt XmlFragment, and replacing a document's content inside the CRDT."""

from __future__ import annotations

from pycrdt import Doc

from collab.prosemirror import doc_from_state, read_doc, replace_content, state_with
from collab.template import bullet_list, heading, paragraph, process_table, text
from tests.support.tiptap import normalize, tiptap2_plan, tiptap2_plan_as_read

NODES = [
    heading("教学目标", 2),
    paragraph(
        text("会认"),
        text("8个生字", "bold", "italic"),
        text("，会写"),
        text("10个", "underline"),
        text("字。"),
        text("旧目标", "strike"),
    ),  # fmt: skip
    bullet_list(paragraph(text("朗读课文")), paragraph()),
    process_table(),
]


def test_round_trip_keeps_nodes_attributes_and_marks() -> None:
    assert read_doc(doc_from_state(state_with(NODES)))["content"] == NODES


def test_replace_content_is_one_update_that_converges_a_concurrent_peer() -> None:
    a = doc_from_state(state_with(NODES))
    b = doc_from_state(a.get_update())
    update = replace_content(a, [heading("课题"), paragraph(text("第二稿"))])
    b.apply_update(update)
    assert (
        read_doc(b)
        == read_doc(a)
        == {
            "type": "doc",
            "content": [heading("课题"), paragraph(text("第二稿"))],
        }
    )


def test_empty_state_reads_as_empty_doc() -> None:
    assert read_doc(Doc()) == {"type": "doc", "content": []}


def test_reads_a_plan_the_tiptap2_client_wrote_as_tiptap2_did() -> None:
    assert normalize(read_doc(doc_from_state(tiptap2_plan()))) == normalize(tiptap2_plan_as_read())
