"""REST route of the per-segment report: DOCX, HTML, PDF, and raw data as CSV."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from evaluation import report, report_csv, report_html, report_pdf
from evaluation.labels import t
from evaluation.routes import allow, segment_of
from rooms.api import Action
from server.api import ApiRoutes, Query
from server.errors import ValidationError

routes = ApiRoutes("evaluation")

FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "notes-csv": ("text/csv; charset=utf-8", "csv"),
}


@routes.route(
    "GET", "/api/rooms/{room_id}/segments/{segment_id}/report",
    summary="Host: the evaluation report of a segment (docx, html, pdf) or its raw data (csv, notes-csv)",
    query={"format": Query("docx, html or pdf: the report; csv: the scores; notes-csv: the notes",
                           choices=tuple(FORMATS), default="docx"),
           "rubric_id": "rubric version (default current)"},
    errors=((ValidationError, "bad_format"),),
    content_type="application/octet-stream",
)  # fmt: skip
async def get_report(request: web.Request) -> web.Response:
    c = await allow(request, Action.EVALUATION_MANAGE)
    fmt = request.query.get("format", "docx")
    if fmt not in FORMATS:
        raise ValidationError(f"format: one of {', '.join(FORMATS)}", code="bad_format")
    ctx, room_id, segment_id = c.ctx, c.room_id, segment_of(request)
    rep = await report.build(ctx, room_id, segment_id, rubric_id=request.query.get("rubric_id"))
    if fmt == "docx":
        # Imported here, not at start-up: python-docx (with lxml) holds about 8 MB that only this export needs.
        from evaluation import report_docx

        body = report_docx.render(rep)
    elif fmt == "html":
        body = report_html.render(rep)
    elif fmt == "pdf":
        body = await report_pdf.html_to_pdf(report_html.render(rep))
    elif fmt == "csv":
        body = report_csv.scores_csv(rep)
    else:
        body = report_csv.notes_csv(rep)
    content_type, ext = FORMATS[fmt]
    name = f"{t('report_title')}-{rep.room_title}-{segment_id}{'-notes' if fmt == 'notes-csv' else ''}.{ext}"
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": f"attachment; filename=\"report.{ext}\"; filename*=UTF-8''{quote(name)}",
    }
    return web.Response(body=body, headers=headers)
