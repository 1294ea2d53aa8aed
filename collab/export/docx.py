"""A Word document (.docx, python-docx) of a lesson plan, with CJK fonts set for East Asian text."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from collab.export.threads import ACCEPTED, HEADING, RESOLVED, SUGGEST, view
from collab.prosemirror import Node

CJK_FONT = "SimSun"  # 宋体: Word and LibreOffice map it to an installed CJK font when missing


def _runs(paragraph: Paragraph, nodes: list[Node]) -> None:
    for node in nodes:
        if node.get("type") == "hardBreak":
            paragraph.add_run().add_break()
            continue
        text = str(node.get("text") or "")
        if not text:
            continue
        run = paragraph.add_run(text)
        marks = {str(m.get("type")) for m in node.get("marks") or []}
        run.bold = "bold" in marks or None
        run.italic = "italic" in marks or None
        run.underline = "underline" in marks or None
        if "strike" in marks:
            run.font.strike = True


Container = DocxDocument | _Cell


def _blocks(target: Container, nodes: list[Node], list_style: str | None = None, depth: int = 0) -> None:
    for node in nodes:
        kind = node.get("type")
        content = list(node.get("content") or [])
        if kind == "heading" and isinstance(target, DocxDocument):
            level = max(1, min(int((node.get("attrs") or {}).get("level", 1)), 9))
            _runs(target.add_heading("", level), content)
        elif kind in ("paragraph", "heading"):
            style = list_style if list_style else None
            _runs(target.add_paragraph(style=style), content)
            list_style = None  # only an item's first paragraph carries the bullet
        elif kind in ("bulletList", "orderedList"):
            base = "List Bullet" if kind == "bulletList" else "List Number"
            style = base if depth == 0 else f"{base} {min(depth + 1, 3)}"
            for item in content:
                _blocks(target, list(item.get("content") or []), style, depth + 1)
        elif kind == "table":
            _table(target, content)
        elif kind == "horizontalRule":
            target.add_paragraph("—" * 20)
        else:
            _blocks(target, content, list_style, depth)


def _table(target: Container, rows: list[Node]) -> None:
    if not rows:
        return
    width = max(len(r.get("content") or []) for r in rows)
    table = target.add_table(rows=len(rows), cols=max(width, 1))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, cell_node in enumerate(row.get("content") or []):
            cell = table.cell(r, c)
            cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
            _blocks(cell, list(cell_node.get("content") or []))
            if not cell.paragraphs:
                cell.add_paragraph()
            if cell_node.get("type") == "tableHeader":
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.bold = True


def _cjk_fonts(doc: DocxDocument) -> None:
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        style = doc.styles[name]
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), CJK_FONT)


def render(title: str, doc_json: Node, threads: list[dict[str, Any]] | None = None) -> bytes:
    doc = Document()
    _cjk_fonts(doc)
    doc.core_properties.title = title
    doc.add_heading(title, 0)
    _blocks(doc, list(doc_json.get("content") or []))
    if threads:
        doc.add_heading(HEADING, 1)
        for t in map(view, threads):
            p = doc.add_paragraph(style="List Bullet")
            p.add_run(t.author).bold = True
            extra = (f"〔{t.where}〕" if t.where else "") + (f"“{t.quote}”" if t.quote else "")
            extra += RESOLVED if t.resolved else ""
            if t.suggestion is not None:
                extra += f"{SUGGEST}“{t.suggestion}”" + (ACCEPTED if t.accepted else "")
            p.add_run(f"{extra}：{t.text}")
            for r in t.replies:
                q = doc.add_paragraph(style="List Bullet 2")
                q.add_run(r.author).bold = True
                q.add_run(f"：{r.text}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
