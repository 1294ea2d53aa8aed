"""The Chinese lesson-plan template (教学设计模板) every new lesson plan starts from."""

from __future__ import annotations

from collab.prosemirror import Node, state_with

# The ten fixed sections of a lesson plan, in order (DOMAIN.md, 网络集体备课).
SECTION_TITLES = (
    "课题",
    "学科/年级",
    "课时",
    "教学目标",
    "教学重难点",
    "教学准备",
    "教学过程",
    "板书设计",
    "作业设计",
    "教学反思",
)

PROCESS_COLUMNS = ("教学环节", "教师活动", "学生活动", "设计意图")
PROCESS_STEPS = ("一、情境导入", "二、探究新知", "三、巩固练习", "四、课堂小结")


def text(value: str, *marks: str) -> Node:
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": m} for m in marks]
    return node


def paragraph(*inline: Node) -> Node:
    node: Node = {"type": "paragraph"}
    if inline:
        node["content"] = list(inline)
    return node


def heading(title: str, level: int = 2) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(title)]}


def bullet_list(*items: Node) -> Node:
    return {"type": "bulletList", "content": [{"type": "listItem", "content": [p]} for p in items]}


def ordered_list(*items: Node) -> Node:
    return {
        "type": "orderedList",
        "attrs": {"start": 1},
        "content": [{"type": "listItem", "content": [p]} for p in items],
    }


def cell(kind: str, value: str = "") -> Node:
    return {
        "type": kind,
        "attrs": {"colspan": 1, "rowspan": 1},
        "content": [paragraph(text(value)) if value else paragraph()],
    }


def process_table() -> Node:
    header = {"type": "tableRow", "content": [cell("tableHeader", c) for c in PROCESS_COLUMNS]}
    rows = [
        {"type": "tableRow", "content": [cell("tableCell", step)] + [cell("tableCell") for _ in range(3)]}
        for step in PROCESS_STEPS
    ]
    return {"type": "table", "content": [header, *rows]}


def lesson_plan_nodes() -> list[Node]:
    """The template as ProseMirror JSON (top-level nodes of the ``doc``)."""
    body: dict[str, list[Node]] = {
        "课题": [paragraph()],
        "学科/年级": [paragraph()],
        "课时": [paragraph(text("第 1 课时"))],
        "教学目标": [
            ordered_list(
                paragraph(text("知识与技能：", "bold")),
                paragraph(text("过程与方法：", "bold")),
                paragraph(text("情感态度与价值观：", "bold")),
            )
        ],
        "教学重难点": [paragraph(text("教学重点：", "bold")), paragraph(text("教学难点：", "bold"))],
        "教学准备": [bullet_list(paragraph(text("教师：")), paragraph(text("学生：")))],
        "教学过程": [process_table()],
        "板书设计": [paragraph()],
        "作业设计": [bullet_list(paragraph(text("基础作业：")), paragraph(text("拓展作业：")))],
        "教学反思": [paragraph(text("（课后填写）", "italic"))],
    }
    nodes: list[Node] = []
    for title in SECTION_TITLES:
        nodes.append(heading(title))
        nodes.extend(body[title])
    return nodes


def blank_nodes() -> list[Node]:
    return [paragraph()]


def initial_state(template: str) -> bytes:
    """The first update of a new document: ``"lesson_plan"`` or ``"blank"``."""
    return state_with(lesson_plan_nodes() if template == "lesson_plan" else blank_nodes())
