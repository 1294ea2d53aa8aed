"""Word rendering of a lesson plan (collab/export/docx.py), parsed back with python-docx and opened by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from collab.export import docx as docx_export
from tests.support.collab import SAMPLE_THREADS, sample_plan


def test_docx_parses_back_with_headings_lists_table_and_bold() -> None:
    data = docx_export.render("秋天的雨 教学设计", sample_plan(), SAMPLE_THREADS)
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
    (tmp_path / "plan.docx").write_bytes(
        docx_export.render("秋天的雨 教学设计", sample_plan(), SAMPLE_THREADS)
    )
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(tmp_path / "plan.docx")],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    out = (tmp_path / "plan.txt").read_text(encoding="utf-8-sig")
    assert out.startswith("秋天的雨 教学设计\n课题\n《秋天的雨》（第二课时）\n")
    assert (
        "1. 知识与技能：" in out and "• 教师：" in out and "一、情境导入" in out and "目标可以再聚焦" in out
    )
