"""PDF of the HTML report, printed by headless Chromium (which renders Chinese with the system's CJK fonts)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path

from server.errors import Unavailable

log = logging.getLogger(__name__)

TIMEOUT = 60.0


async def html_to_pdf(html: bytes, chromium: str) -> bytes:
    if not chromium or not os.access(chromium, os.X_OK):
        raise Unavailable(
            "PDF export needs Chromium on the server; export HTML or DOCX instead", code="pdf_unavailable"
        )
    with tempfile.TemporaryDirectory(prefix="moke-pdf-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_bytes(html)
        proc = await asyncio.create_subprocess_exec(
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}", src.as_uri(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise Unavailable("PDF printing timed out", code="pdf_failed") from None
        if proc.returncode != 0 or not out.exists():
            log.warning(
                "chromium print-to-pdf failed rc=%s: %s", proc.returncode, err[-500:].decode(errors="replace")
            )
            raise Unavailable("PDF printing failed; export HTML or DOCX instead", code="pdf_failed")
        return out.read_bytes()
