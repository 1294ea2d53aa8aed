"""The web editor's own TipTap schema (``tests/js/tiptap_schema.cjs``) and a document the TipTap 2 client wrote.

``tests/support/fixtures/tiptap2_plan.b64`` is the Yjs state of a lesson plan typed in Chromium by the TipTap 2.27
client (marks, headings, lists, a new table, an anchored comment); ``tiptap2_plan.json`` is how TipTap 2's schema
read it. Later clients, ``collab/prosemirror.py``, comments and export must all still read that document.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import subprocess
from typing import Any

import pytest

from tests.support.lessonplan import plan_clients
from tests.support.server import ROOT
from tests.support.services import require_node

WEB = ROOT / "web"
FIXTURES = ROOT / "tests" / "support" / "fixtures"
SCRIPT = ROOT / "tests" / "js" / "tiptap_schema.cjs"


def tiptap2_plan() -> bytes:
    """The Yjs state (one update) of the plan written by the TipTap 2 client."""
    return base64.b64decode((FIXTURES / "tiptap2_plan.b64").read_text())


def tiptap2_plan_as_read() -> dict[str, Any]:
    """That plan as ProseMirror JSON, as TipTap 2's schema read it when the fixture was recorded."""
    return dict(json.loads((FIXTURES / "tiptap2_plan.json").read_text(encoding="utf-8")))


def tiptap_reads(update: bytes) -> dict[str, Any]:
    """The document the web editor's TipTap schema makes of ``update`` (skipped without web/node_modules)."""
    node = require_node()
    if (
        not (WEB / "node_modules" / "@tiptap" / "core").exists()
        or not (WEB / "node_modules" / "@tiptap" / "y-tiptap").exists()
    ):
        pytest.skip("web/node_modules has no TipTap yet (run `make web`)")
    proc = subprocess.run([node, str(SCRIPT), str(WEB)], input=base64.b64encode(update).decode(),
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return dict(json.loads(proc.stdout))


def normalize(node: Any) -> Any:
    """Drop null attributes (TipTap defaults such as colwidth, or a new version's align) for comparison."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "attrs":
                v = {a: x for a, x in v.items() if x is not None}
                if not v:
                    continue
            out[k] = normalize(v)
        return out
    if isinstance(node, list):
        return [normalize(x) for x in node]
    return node


def seed_doc(http_base: str, doc_id: str, token: str, update: bytes, shows: str) -> None:
    """Write ``update`` into a live document through a real y-websocket client (from sync browser tests);
    returns once a second client that connects afterwards reads ``shows`` from the server."""

    async def write() -> None:
        async with plan_clients(http_base.replace("http", "ws", 1) + "/collab") as js:
            writer = await js.open_doc(doc_id, token)
            await js.apply(writer, update)
            reader = await js.open_doc(doc_id, token)
            await js.call("wait_plain", client=reader, contains=shows)

    # a browser test's thread may already run an event loop (pytest-asyncio): use a thread of its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write()).result()
