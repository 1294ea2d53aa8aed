"""Markdown, HTML and DOCX renderings of a lesson plan in Chinese (DOCX parsed back with python-docx)."""

from __future__ import annotations

import io
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest

from collab.export import docx as docx_export
from collab.export import html, markdown
from collab.prosemirror import Node
from collab.template import lesson_plan_nodes, paragraph, text

THREADS = [{"id": "c1", "author": {"id": 1, "name": "王专家"}, "text": "目标可以再聚焦", "section": "教学目标",
            "section_now": "教学目标", "quote": "知识与技能", "position": None, "resolved": True,
            "replies": [{"author": {"id": 2, "name": "李老师"}, "text": "已修改"}]}]  # fmt: skip


def _plan() -> Node:
    nodes = lesson_plan_nodes()
    nodes[1] = paragraph(text("《秋天的雨》"), text("（第二课时）", "italic"))
    return {"type": "doc", "content": nodes}


def test_markdown_has_headings_lists_table_marks_and_comments() -> None:
    md = markdown.render("秋天的雨 教学设计", _plan(), THREADS)
    assert md.startswith("# 秋天的雨 教学设计\n")
    assert "## 教学目标\n\n1. **知识与技能：**\n2. **过程与方法：**" in md
    assert "《秋天的雨》*（第二课时）*" in md
    assert "| 教学环节 | 教师活动 | 学生活动 | 设计意图 |\n| --- | --- | --- | --- |\n| 一、情境导入 |" in md
    assert "- 基础作业：" in md
    assert "## 批注" in md and "**王专家**（已解决） 〔教学目标〕 “知识与技能”：目标可以再聚焦" in md
    assert "  - **李老师**：已修改" in md
    assert "批注" not in markdown.render("x", _plan())


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_utf8_page_with_structure() -> None:
    page = html.render("秋天的雨 <教学设计>", _plan(), THREADS)
    parser = _Collect()
    parser.feed(page)
    assert '<meta charset="utf-8">' in page and 'lang="zh-CN"' in page
    assert "秋天的雨 &lt;教学设计&gt;" in page
    for tag in ("h1", "h2", "ol", "ul", "li", "table", "th", "td", "strong", "em", "section"):
        assert tag in parser.tags, tag
    assert "<h2>教学过程</h2><table><tr><th><p>教学环节</p></th>" in page
    assert "情感态度与价值观：" in "".join(parser.text)
    assert page.encode("utf-8").decode("utf-8") == page


def test_docx_parses_back_with_headings_lists_table_and_bold() -> None:
    data = docx_export.render("秋天的雨 教学设计", _plan(), THREADS)
    parsed = docx.Document(io.BytesIO(data))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in parsed.paragraphs]
    assert paragraphs[0] == ("Title", "秋天的雨 教学设计")
    assert ("Heading 2", "教学目标") in paragraphs
    assert ("List Number", "知识与技能：") in paragraphs
    assert ("List Bullet", "教师：") in paragraphs
    goal = next(p for p in parsed.paragraphs if p.text == "知识与技能：")
    assert goal.runs[0].bold is True
    topic = next(p for p in parsed.paragraphs if p.text.startswith("《秋天的雨》"))
    assert [r.italic for r in topic.runs] == [None, True]
    [table] = parsed.tables
    assert [c.text for c in table.rows[0].cells] == ["教学环节", "教师活动", "学生活动", "设计意图"]
    assert table.rows[1].cells[0].text == "一、情境导入"
    assert ("Heading 1", "批注") in paragraphs
    assert any("目标可以再聚焦" in t for _, t in paragraphs)
    fonts = parsed.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "SimSun"


def test_docx_opens_in_libreoffice(tmp_path: Path) -> None:
    """LibreOffice (when installed) reads the file: text, numbering and bullets come out in Chinese."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    (tmp_path / "plan.docx").write_bytes(docx_export.render("秋天的雨 教学设计", _plan(), THREADS))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(tmp_path / "plan.docx")],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    out = (tmp_path / "plan.txt").read_text(encoding="utf-8-sig")
    assert out.startswith("秋天的雨 教学设计\n课题\n《秋天的雨》（第二课时）\n")
    assert (
        "1. 知识与技能：" in out and "• 教师：" in out and "一、情境导入" in out and "目标可以再聚焦" in out
    )
