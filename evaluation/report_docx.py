"""The evaluation report as a Word document (python-docx), with an East Asian font set for Chinese text."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from evaluation.labels import t
from evaluation.report import Report, Table

EAST_ASIA_FONT = "宋体"


def _table(doc: object, table: Table) -> None:
    out = doc.add_table(rows=1, cols=len(table.head))  # type: ignore[attr-defined]
    out.style = "Table Grid"
    for cell, text in zip(out.rows[0].cells, table.head, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = out.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def render(report: Report) -> bytes:
    r = report
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    doc.add_heading(f"{t('report_title')}：{r.room_title}", level=0)
    doc.add_paragraph("　".join(r.meta()))
    if r.anonymous:
        doc.add_paragraph(t("anonymous_note"))
    doc.add_heading(t("summary"), level=1)
    _table(doc, r.summary_table())
    doc.add_paragraph()
    _table(doc, r.criteria_table())
    doc.add_heading(t("charts"), level=1)
    for png in r.charts.values():
        doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.add_heading(t("comments"), level=1)
    for i, e in enumerate(r.evaluations):
        doc.add_heading(r.observer(i, e), level=2)
        _table(doc, r.scores_table(e))
        if e.comment:
            doc.add_paragraph(f"{t('overall_comment')}：{e.comment}")
    if r.observations:
        doc.add_heading(t("observation"), level=1)
    for a in r.observations:
        doc.add_heading(a.instrument.name, level=2)
        doc.add_paragraph("　".join(r.observation_meta(a)))
        _table(doc, r.observation_table(a))
        for png in r.observation_charts.get(a.run.id, {}).values():
            doc.add_picture(io.BytesIO(png), width=Cm(10))
    doc.add_heading(t("notes"), level=1)
    _table(doc, r.notes_table())
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
