"""Markdown rendering of a lesson plan in Chinese (collab/export/markdown.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from collab.export import markdown
from tests.support.collab import SAMPLE_THREADS, sample_plan


def test_markdown_has_headings_lists_table_marks_and_comments() -> None:
    md = markdown.render("秋天的雨 教学设计", sample_plan(), SAMPLE_THREADS)
    assert md.startswith("# 秋天的雨 教学设计\n")
    assert "## 教学目标\n\n1. **知识与技能：**\n2. **过程与方法：**" in md
    assert "《秋天的雨》*（第二课时）*" in md
    assert "| 教学环节 | 教师活动 | 学生活动 | 设计意图 |\n| --- | --- | --- | --- |\n| 一、情境导入 |" in md
    assert "- 基础作业：" in md
    assert "## 批注" in md and "**王专家**（已解决） 〔教学目标〕 “知识与技能”：目标可以再聚焦" in md
    assert "  - **李老师**：已修改" in md
    assert "批注" not in markdown.render("x", sample_plan())


def _text(text: str, *marks: str) -> dict[str, object]:
    return {"type": "text", "text": text, "marks": [{"type": m} for m in marks]}


@pytest.mark.parametrize(
    ("nodes", "html"),
    [
        # a bold run beside an italic one: no "***" run for a parser to split its own way
        ([_text("教学", "bold"), _text("目标", "italic")], "<strong>教学</strong><em>目标</em>"),
        # Chinese punctuation at the edge of a mark: "**“秋天”**的" does not close in CommonMark
        ([_text("“秋天”", "bold"), _text("的雨")], "<strong>“秋天”</strong>的雨"),
        (
            [_text("朗读", "italic"), _text("。", "italic", "bold"), _text("再读")],
            "<em>朗读<strong>。</strong></em>再读",
        ),  # fmt: skip
        # spaces at a mark's edge stay outside it (a delimiter before a space does not close)
        ([_text("学生 ", "bold"), _text("活动")], "<strong>学生</strong> 活动"),
        ([_text("删去", "strike"), _text("～", "strike")], "<s>删去～</s>"),
        # one mark split over two text nodes is one run
        ([_text("小组", "bold"), _text("合作", "bold", "italic")], "<strong>小组<em>合作</em></strong>"),
        ([_text("2*3", "bold"), _text(" = 6")], "<strong>2*3</strong> = 6"),
    ],
)
def test_marks_read_back_as_written_by_a_commonmark_parser(nodes: list[dict[str, object]], html: str) -> None:
    md = markdown.inline(nodes)
    assert MarkdownIt("commonmark").enable("strikethrough").renderInline(md) == html, md


class _Marked(HTMLParser):
    """Each character of rendered inline HTML with the marks (tags) around it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.chars: list[tuple[str, frozenset[str]]] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.open.remove(tag)

    def handle_data(self, data: str) -> None:
        self.chars += [(ch, frozenset(self.open)) for ch in data]


_TAGS = {"bold": "strong", "italic": "em", "strike": "s", "underline": "u"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="教学目标的雨。，“”：（）！？ ab1*_~<[", min_size=1, max_size=4),
            st.sets(st.sampled_from(sorted(_TAGS))),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_character_keeps_its_marks_through_a_commonmark_parser(
    runs: list[tuple[str, set[str]]],
) -> None:
    md = markdown.inline([_text(text, *sorted(marks)) for text, marks in runs])
    parsed = _Marked()
    parsed.feed(MarkdownIt("commonmark").enable("strikethrough").renderInline(md))
    want = [(ch, frozenset(_TAGS[m] for m in marks)) for text, marks in runs for ch in text]
    assert [c for c, _ in parsed.chars] == [c for c, _ in want], md
    # a space at a mark's edge may move outside it; every other character keeps exactly its marks
    assert [m for c, m in parsed.chars if not c.isspace()] == [m for c, m in want if not c.isspace()], md
