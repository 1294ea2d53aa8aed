"""Drives ``tests/js/lessonplan.mjs``: real Yjs docs (offline or y-websocket) for lesson-plan tests."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.yjs import YClients, node_clients

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "lessonplan.mjs"


class PlanClients(YClients):
    async def open_doc(self, doc: str | None = None, token: str | None = None) -> int:
        client = int((await self.call("open", doc=doc, token=token))["client"])
        if doc:
            await self.call("wait_synced", client=client)
        return client

    async def apply(self, client: int, update: bytes) -> None:
        await self.call("apply", client=client, update=base64.b64encode(update).decode())

    async def state(self, client: int) -> bytes:
        return base64.b64decode((await self.call("state", client=client))["update"])

    async def fragment(self, client: int) -> dict[str, Any]:
        return dict((await self.call("fragment", client=client))["fragment"])

    async def plain(self, client: int) -> str:
        return str((await self.call("plain", client=client))["text"])


@contextlib.asynccontextmanager
async def plan_clients(ws_base: str = "") -> AsyncIterator[PlanClients]:
    """Node Yjs clients; ``ws_base`` (``ws://127.0.0.1:PORT/collab``) only for connected ones."""
    async with node_clients(SCRIPT, PlanClients, ws_base) as clients:
        yield clients
