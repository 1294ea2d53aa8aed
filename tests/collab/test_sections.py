"""collab.sections: plain text of a lesson plan and its sections (pure, on ProseMirror JSON)."""

from __future__ import annotations

from collab.prosemirror import Node
from collab.sections import blocks_text, is_section_heading, plain_text, split_sections
from collab.template import bullet_list, cell, heading, ordered_list, paragraph, text


def doc(*nodes: Node) -> Node:
    return {"type": "doc", "content": list(nodes)}


def test_sections_start_at_headings_of_level_one_and_two() -> None:
    plan = doc(
        paragraph(text("前言")),
        heading("教学目标", 2),
        paragraph(text("知识与技能")),
        heading("细节", 3),  # deeper headings stay inside their section
        paragraph(text("过程与方法")),
        heading("教学过程", 1),
        heading("板书设计", 2),
    )
    sections = split_sections(plan)
    assert [(s.title, s.index) for s in sections] == [
        ("", -1),
        ("教学目标", 1),
        ("教学过程", 5),
        ("板书设计", 6),
    ]
    assert sections[0].text == "前言"
    assert sections[1].text == "知识与技能\n细节\n过程与方法"
    assert sections[2].nodes == [] and sections[3].text == ""


def test_a_document_without_leading_text_has_no_untitled_section() -> None:
    assert [s.title for s in split_sections(doc(heading("课题"), paragraph(text("秋天的雨"))))] == ["课题"]
    assert split_sections(doc()) == []


def test_lists_tables_and_rules_read_as_lines() -> None:
    ordered = ordered_list(paragraph(text("一")), paragraph(text("二")))
    ordered["attrs"] = {"start": 3}
    table: Node = {
        "type": "table",
        "content": [
            {"type": "tableRow", "content": [cell("tableHeader", "环节"), cell("tableHeader", "活动")]},
            {"type": "tableRow", "content": [cell("tableCell", "导入"), cell("tableCell")]},
        ],
    }
    nodes = [
        bullet_list(paragraph(text("甲"), text("乙", "bold"))),
        ordered,
        table,
        {"type": "horizontalRule"},
        {"type": "blockquote", "content": [paragraph(text("引文"))]},
    ]
    assert blocks_text(nodes) == "- 甲乙\n3. 一\n4. 二\n环节 | 活动\n导入 | \n---\n引文"


def test_plain_text_includes_headings() -> None:
    assert plain_text(doc(heading("课题"), paragraph(text("秋天的雨")))) == "课题\n秋天的雨"
    assert is_section_heading(heading("x", 2)) and not is_section_heading(heading("x", 3))
    assert not is_section_heading(paragraph(text("x")))
