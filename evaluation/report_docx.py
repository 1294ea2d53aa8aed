"""The evaluation report as a Word document (python-docx), with an East Asian font set for Chinese text."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from evaluation.labels import t
from evaluation.report import Report, fmt

EAST_ASIA_FONT = "宋体"


def _table(doc: object, head: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(head))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def render(report: Report) -> bytes:
    r, agg = report, report.aggregate
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    doc.add_heading(f"{t('report_title')}：{r.room_title}", level=0)
    doc.add_paragraph(
        f"{t('segment')}：{r.segment}　{t('rubric')}：{r.rubric.name}（{t('version')} {r.rubric.version}）　"
        f"{t('generated_at')}：{r.generated}"
    )
    if r.anonymous:
        doc.add_paragraph(t("anonymous_note"))
    doc.add_heading(t("summary"), level=1)
    percent = fmt(agg.weighted_percent, 1) + "%" if agg.weighted_percent is not None else ""
    _table(
        doc,
        [t("evaluations"), t("weighted_total"), t("weighted_percent")],
        [[str(agg.count), fmt(agg.weighted_total), percent]],
    )
    doc.add_paragraph()
    _table(
        doc,
        [t("criterion"), t("weight"), t("mean"), t("stdev"), t("min"), t("max"), t("distribution")],
        [
            [
                c.title,
                f"{c.weight:g}",
                fmt(c.mean),
                fmt(c.stdev),
                fmt(c.min, 1),
                fmt(c.max, 1),
                " ".join(f"{k}:{v}" for k, v in c.distribution.items()),
            ]  # fmt: skip
            for c in agg.criteria
        ],
    )
    doc.add_heading(t("charts"), level=1)
    for png in r.charts.values():
        doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.add_heading(t("comments"), level=1)
    for i, e in enumerate(r.evaluations):
        doc.add_heading(r.observer(i, e), level=2)
        _table(
            doc,
            [t("criterion"), t("score"), t("comment")],
            [[r.criterion_title(s.criterion), f"{s.score:g}", s.comment] for s in e.scores],
        )
        if e.comment:
            doc.add_paragraph(f"{t('overall_comment')}：{e.comment}")
    doc.add_heading(t("notes"), level=1)
    _table(
        doc,
        [t("time"), t("venue"), t("kind"), t("criterion"), t("author"), t("text")],
        [[f"{n.clock}（{n.offset}）", n.venue, n.kind, n.criterion, n.author, n.text] for n in r.notes],
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
