"""Markdown rendering of a lesson plan in Chinese (collab/export/markdown.py)."""

from __future__ import annotations

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
