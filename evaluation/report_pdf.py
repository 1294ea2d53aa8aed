"""PDF of the HTML report, laid out by WeasyPrint in a child process (no browser on the server).

WeasyPrint draws text with Pango and the system's fonts (``fonts-noto-cjk``: the Chinese is set in an embedded
subset of Noto Sans CJK SC). It runs in a child Python, ``python -m evaluation.report_pdf``, for two reasons:
laying out a long report holds the GIL for seconds, which would stall every room's chat, edits and video in
this process; and its ~100 MB of fonts and layout boxes go back to the system when the child exits.

The child reads the HTML on stdin and writes the PDF on stdout. It fetches nothing: the report embeds its
charts as ``data:`` URIs, and any other URL (which escaped user text could not produce anyway) is refused.
Exit code 3 means WeasyPrint cannot load (Pango is missing): the export answers 503 ``pdf_unavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from server.errors import Unavailable

log = logging.getLogger(__name__)

TIMEOUT = 120.0  # a 400-note report takes ~20 s on a busy 2-core machine
NO_LIBRARY = 3  # the child's exit code when WeasyPrint (Pango) cannot be loaded
COMMAND = (sys.executable, "-m", "evaluation.report_pdf")


async def html_to_pdf(html: bytes) -> bytes:
    """The report as PDF bytes; :class:`Unavailable` (503) when PDF cannot be made here or failed."""
    proc = await asyncio.create_subprocess_exec(
        *COMMAND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(html), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise Unavailable("PDF layout timed out; export HTML or DOCX instead", code="pdf_failed") from None
    if proc.returncode == NO_LIBRARY:
        log.warning("PDF export unavailable: %s", err[-500:].decode(errors="replace").strip())
        raise Unavailable(
            "PDF export needs Pango on the server (libpango-1.0-0); export HTML or DOCX instead",
            code="pdf_unavailable",
        )
    if proc.returncode != 0 or not out.startswith(b"%PDF-"):
        log.warning("PDF layout failed rc=%s: %s", proc.returncode, err[-500:].decode(errors="replace"))
        raise Unavailable("PDF layout failed; export HTML or DOCX instead", code="pdf_failed")
    return out


def main() -> int:
    """The child: HTML on stdin, PDF on stdout."""
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:  # cffi could not open libpango / libgobject
        print(f"WeasyPrint cannot load its system libraries: {exc}", file=sys.stderr)
        return NO_LIBRARY
    html = sys.stdin.buffer.read()
    fetcher = URLFetcher(allowed_protocols={"data"})  # the charts; never a network, never a file
    sys.stdout.buffer.write(HTML(string=html.decode("utf-8"), url_fetcher=fetcher).write_pdf())
    return 0


if __name__ == "__main__":
    sys.exit(main())
