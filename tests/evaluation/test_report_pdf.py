"""PDF reports (evaluation/report_pdf.py): the HTML report laid out by WeasyPrint in a child process."""

from __future__ import annotations

import dataclasses
import re
import sys
import time
import zlib
from pathlib import Path

import pytest
from aiohttp import web

from evaluation import charts, report_html, report_pdf
from server import fonts
from server.errors import Unavailable
from tests.support.api import Api
from tests.support.evaluation import fetch_report, lesson, populate, sample_report
from tests.support.server import RunningServer, serving

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _objects(pdf: bytes) -> bytes:
    """The PDF with its Flate streams inflated: WeasyPrint packs font dictionaries into compressed object streams."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:  # an image or font program that is not Flate, or a cut short stream
            continue
    return b"\n".join(parts)


def _images(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image\b", pdf))


async def test_the_report_as_pdf_has_its_charts_and_a_cjk_font(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    await populate(les, time.time() - 600)
    status, body, disposition = await fetch_report(les, "pdf")
    assert status == 200 and body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert ".pdf" in disposition
    assert _images(body) == 3  # means, distribution, timeline
    assert "weasyprint" not in sys.modules  # laid out in the child: the server's process never loads it
    if Path(NOTO).is_file():
        # the Chinese is set in an embedded subset of the face server/fonts.py picks for the charts
        objects = _objects(body)
        assert b"/FontFile" in objects and b"Noto-Sans-CJK-SC" in objects


async def test_the_layout_fetches_nothing_but_data_uris(tmp_path: Path) -> None:
    """A URL in the HTML (which escaped user text cannot produce, but still) is not fetched, over HTTP or file."""
    asked: list[str] = []

    async def record(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=b"", content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    secret = tmp_path / "secret.css"
    secret.write_text("body{background:red}", encoding="utf-8")
    rep = sample_report()
    images = charts.render(rep.rubric, rep.aggregate, bucket_seconds=60)
    html = report_html.render(dataclasses.replace(rep, charts=images))
    async with serving(app) as address:
        probe = (
            f'<img src="http://{address}/tracker.png">'
            f'<link rel="stylesheet" href="http://{address}/style.css">'
            f'<link rel="stylesheet" href="{secret.as_uri()}">'
        ).encode()
        pdf = await report_pdf.html_to_pdf(html.replace(b"</body>", probe + b"</body>"))
    assert pdf.startswith(b"%PDF-") and _images(pdf) == len(images) == 3  # the charts, and nothing fetched
    assert asked == []


async def test_no_library_is_503_pdf_unavailable_and_a_crash_is_pdf_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child's exit codes map to the export's errors (Pango missing → 3; anything else → failed)."""
    monkeypatch.setattr(
        report_pdf, "COMMAND", (sys.executable, "-c", f"import sys; sys.exit({report_pdf.NO_LIBRARY})")
    )
    with pytest.raises(Unavailable) as missing:
        await report_pdf.html_to_pdf(b"<p>x</p>")
    assert missing.value.code == "pdf_unavailable" and missing.value.status == 503
    monkeypatch.setattr(report_pdf, "COMMAND", (sys.executable, "-c", "raise SystemExit('boom')"))
    with pytest.raises(Unavailable) as crashed:
        await report_pdf.html_to_pdf(b"<p>x</p>")
    assert crashed.value.code == "pdf_failed"


def test_the_child_reports_a_missing_pango_as_exit_code_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint raises OSError when cffi cannot open Pango; the child turns it into its exit code."""
    import builtins

    real_import = builtins.__import__

    def no_pango(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("weasyprint"):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pango)
    assert report_pdf.main() == report_pdf.NO_LIBRARY


def test_charts_and_pdf_use_the_same_cjk_face() -> None:
    face = fonts.cjk_font()
    if face is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    assert "CJK SC" in face.name or "SC" in face.name.split()
