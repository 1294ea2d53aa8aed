"""HTML rendering of a lesson plan (collab/export/html.py): one UTF-8 page with its structure."""

from __future__ import annotations

from html.parser import HTMLParser

from collab.export import html
from tests.support.collab import SAMPLE_THREADS, sample_plan


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_utf8_page_with_structure() -> None:
    page = html.render("秋天的雨 <教学设计>", sample_plan(), SAMPLE_THREADS)
    parser = _Collect()
    parser.feed(page)
    assert '<meta charset="utf-8">' in page and 'lang="zh-CN"' in page
    assert "秋天的雨 &lt;教学设计&gt;" in page
    for tag in ("h1", "h2", "ol", "ul", "li", "table", "th", "td", "strong", "em", "section"):
        assert tag in parser.tags, tag
    assert "<h2>教学过程</h2><table><tr><th><p>教学环节</p></th>" in page
    assert "情感态度与价值观：" in "".join(parser.text)
    assert page.encode("utf-8").decode("utf-8") == page
