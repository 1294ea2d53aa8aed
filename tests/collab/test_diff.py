"""Readable per-section differences between two drafts."""

from __future__ import annotations

from collab.diff import diff_docs, diff_text
from collab.prosemirror import Node
from collab.template import heading, lesson_plan_nodes, paragraph, text


def _doc(nodes: list[Node]) -> Node:
    return {"type": "doc", "content": nodes}


def test_changed_added_and_removed_sections() -> None:
    old = lesson_plan_nodes()
    new = [dict(n) for n in old]
    new[1] = paragraph(text("《秋天的雨》"))  # 课题 filled in
    new[18] = paragraph(text("课后完成小练笔：写一写秋天的景色。"))  # 作业设计: list replaced by a paragraph
    new.extend([heading("专家点评"), paragraph(text("导入很好"))])
    del new[15:17]  # 板书设计 removed
    entries = diff_docs(_doc(old), _doc(new))
    by_section = {e["section"]: e for e in entries}
    assert by_section["课题"]["status"] == "changed"
    assert by_section["课题"]["changes"] == [{"before": "", "removed": "", "added": "《秋天的雨》"}]
    assert by_section["板书设计"]["status"] == "removed"
    assert by_section["专家点评"] == {
        "section": "专家点评",
        "status": "added",
        "changes": [{"before": "", "removed": "", "added": "导入很好"}],
    }
    homework = by_section["作业设计"]["changes"]
    assert "".join(c["added"] for c in homework).count("小练笔") == 1
    assert "基础作业" in "".join(c["removed"] for c in homework)
    assert "教学目标" not in by_section  # unchanged sections are not listed
    rendered = diff_text(entries)
    assert "【课题】修改" in rendered and "  + 《秋天的雨》" in rendered


def test_equal_documents_have_no_difference() -> None:
    assert diff_docs(_doc(lesson_plan_nodes()), _doc(lesson_plan_nodes())) == []


def test_change_inside_a_paragraph_shows_context() -> None:
    old = _doc([heading("教学过程"), paragraph(text("学生朗读课文，找出描写颜色的词语。"))])
    new = _doc([heading("教学过程"), paragraph(text("学生默读课文，找出描写颜色和气味的词语。"))])
    [entry] = diff_docs(old, new)
    assert [(c["removed"], c["added"]) for c in entry["changes"]] == [("朗", "默"), ("", "和气味")]
    assert entry["changes"][1]["before"].endswith("描写颜色")
