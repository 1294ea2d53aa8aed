"""Report downloads (evaluation/exports.py): DOCX parsed back, CSV read back, HTML parsed (PDF: test_report_pdf)."""

from __future__ import annotations

import base64
import csv
import io
from html.parser import HTMLParser

import docx
from PIL import Image

from evaluation import charts
from tests.support.api import Api
from tests.support.evaluation import NOTES, SEG, SHEETS, fetch_report, lesson, populate
from tests.support.server import RunningServer

# means, distribution (the general template's 7 criteria), timeline: the charts evaluation/charts.py draws
CHART_SIZES = [
    (charts.WIDTH, charts.MEANS_HEIGHT),
    (charts.WIDTH, charts.distribution_height(7)),
    (charts.WIDTH, charts.TIMELINE_HEIGHT),
]


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        if tag == "td":
            self.cells += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_exports_open_and_read_back(api: Api, server: RunningServer) -> None:
    import time

    les = await lesson(server, api)
    await populate(les, time.time() - 900)

    status, body, disposition = await fetch_report(les, "docx")
    assert status == 200 and "filename*=UTF-8''" in disposition
    document = docx.Document(io.BytesIO(body))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "评课报告" in text and "《秋天的雨》试讲研讨" in text
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    assert {"教学目标", "4.00", "3.95", "79.0%", "张老师"} <= set(cells)
    assert "小组合作的分工是否明确？" in cells and "疑问" in cells
    assert len(document.inline_shapes) == 3  # means, distribution, timeline
    pictures = [part.blob for part in document.part.package.parts if part.content_type == "image/png"]
    assert sorted(Image.open(io.BytesIO(png)).size for png in pictures) == sorted(CHART_SIZES)

    status, body, _ = await fetch_report(les, "csv")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][5] == "评价维度" and len(rows) == 1 + 3 * 7
    by_observer: dict[str, dict[str, float]] = {}
    for r in rows[1:]:
        by_observer.setdefault(r[3], {})[r[4]] = float(r[7])
    assert [by_observer[p.name] for p in les.observers] == SHEETS

    status, body, _ = await fetch_report(les, "notes-csv")
    notes = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[6] for r in notes[1:]] == [n[4] for n in NOTES] and notes[3][0] == "03:20"

    status, body, _ = await fetch_report(les, "html")
    parser = _Html()
    parser.feed(body.decode("utf-8"))
    page = "".join(parser.text)
    assert "评课报告" in page and "教师素养" in page and "朗读指导可以更具体，建议示范读" in page
    assert len(parser.images) == 3
    pngs = [base64.b64decode(src.split(",", 1)[1]) for src in parser.images]
    assert sorted(Image.open(io.BytesIO(png)).size for png in pngs) == sorted(CHART_SIZES)

    # anonymous mode: the same exports without names
    await api.call(
        "PATCH", f"/api/rooms/{les.room_id}/evaluation", token=les.host.token, json={"anonymous": True}
    )
    status, body, _ = await fetch_report(les, "csv")
    observers = {r[3] for r in csv.reader(io.StringIO(body.decode("utf-8-sig")))}
    assert observers == {"评价人", "评价人 1", "评价人 2", "评价人 3"}
    status, body, _ = await fetch_report(les, "docx")
    document = docx.Document(io.BytesIO(body))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    headings = [p.text for p in document.paragraphs]
    assert "张老师" not in headings and "评价人 1" in headings
    assert "本次评价为匿名模式，报告不显示评价人。" in headings

    status, err = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/report?format=xls", token=les.host.token
    )
    assert status == 422 and err["error"]["code"] == "bad_format"
    status, err = await api.call(
        "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/report?format=csv", token=les.observers[0].token
    )
    assert status == 403
