"""evaluation.report_html: the report as one UTF-8 HTML page (parsed back with the standard library)."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from evaluation.report_html import render
from tests.support.evaluation import sample_report


class Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_table_of_the_report_is_on_the_page() -> None:
    report = sample_report()
    page = render(report).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page and '<meta charset="utf-8">' in page
    parsed = Tables()
    parsed.feed(page)
    summary, criteria, first, second, notes = parsed.tables
    assert summary == [report.summary_table().head, *report.summary_table().rows]
    assert criteria[1][0] == "教学目标" and notes[-1][-1] == "提问太快"
    assert first[1] == ["教学目标", "4", "目标清楚"] and second[2] == ["教学过程", "4", ""]
    assert "总评0" in page and "评价人 1" not in page


def test_text_is_escaped_and_charts_are_inline_images() -> None:
    report = dataclasses.replace(
        sample_report(anonymous=True), room_title="<script>x</script>", charts={"means": b"\x89PNG"}
    )
    page = render(report).decode("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    parsed = Tables()
    parsed.feed(page)
    assert parsed.images == ["data:image/png;base64,iVBORw=="]
    assert "评价人 1" in page and "李老师" not in page.split("<h2>")[3]  # anonymous: no names in the comments
