"""PDF reports (evaluation/report_pdf.py): the HTML report printed by headless Chromium, with a CJK font."""

from __future__ import annotations

import os

from tests.support.api import Api
from tests.support.evaluation import fetch_report, lesson, populate
from tests.support.server import RunningServer


async def test_pdf_printed_with_a_cjk_font(api: Api, server: RunningServer) -> None:
    from tests.support.services import require_chromium

    require_chromium()
    les = await lesson(server, api)
    await populate(les, __import__("time").time() - 600)
    status, body, _ = await fetch_report(les, "pdf")
    assert status == 200 and body.startswith(b"%PDF-")
    if os.path.exists("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        assert b"NotoSansCJK" in body  # the Chinese text was set in an embedded CJK font
