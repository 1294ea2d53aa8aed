"""evaluation.report_docx: the report as a Word document (parsed back with python-docx)."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn

from evaluation.report_docx import EAST_ASIA_FONT, render
from tests.support.evaluation import sample_report


def test_the_word_report_has_the_same_tables_and_a_chinese_font() -> None:
    report = sample_report()
    parsed = docx.Document(io.BytesIO(render(report)))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in parsed.tables]
    assert tables[0] == [report.summary_table().head, *report.summary_table().rows]
    assert tables[1][1][:3] == ["教学目标", "40", "3.50"]
    assert tables[-1] == [report.notes_table().head, *report.notes_table().rows]
    headings = [
        p.text for p in parsed.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[:1] == ["李老师"] or "李老师" in headings
    fonts = parsed.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == EAST_ASIA_FONT
    assert any("总评1" in p.text for p in parsed.paragraphs)
