"""Drives ``tests/js/yclients.mjs``: real Yjs clients (stock y-websocket provider) in one Node process."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

from tests.support.services import require_node

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "yclients.mjs"


class YClients:
    """One Node process hosting several WebsocketProviders; ``call`` sends a command and awaits its reply."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._event_seen = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "id" in msg:
                fut = self._waiting.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            else:
                self.events.append(msg)
                self._event_seen.set()

    async def call(self, cmd: str, timeout: float = 30, **args: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[msg_id] = fut
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"id": msg_id, "cmd": cmd, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        reply = await asyncio.wait_for(fut, timeout)
        if not reply.get("ok"):
            raise AssertionError(f"{cmd} failed: {reply.get('error')}")
        return reply

    async def open(self, doc: str, token: str, name: str | None = None, *, synced: bool = True) -> int:
        client = int((await self.call("open", doc=doc, token=token, name=name))["client"])
        if synced:
            await self.call("wait_synced", client=client)
        return client

    async def wait_event(self, timeout: float = 10, **match: Any) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                for ev in self.events:
                    if all(ev.get(k) == v for k, v in match.items()):
                        return ev
                self._event_seen.clear()
                await self._event_seen.wait()

        return await asyncio.wait_for(find(), timeout)

    async def text(self, client: int) -> str:
        return str((await self.call("text", client=client))["text"])

    async def map(self, client: int) -> dict[str, Any]:
        return dict((await self.call("map", client=client))["map"])


C = TypeVar("C", bound=YClients)


@contextlib.asynccontextmanager
async def node_clients(script: Path, kind: type[C], *args: str) -> AsyncIterator[C]:
    """Run ``node script *args`` and drive it with ``kind``; the process is killed on exit."""
    proc = await asyncio.create_subprocess_exec(
        require_node(), str(script), *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    clients = kind(proc)
    try:
        yield clients
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        clients._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await clients._reader


@contextlib.asynccontextmanager
async def yclients(ws_base: str) -> AsyncIterator[YClients]:
    """``ws_base`` is ``ws://127.0.0.1:PORT/collab``."""
    async with node_clients(SCRIPT, YClients, ws_base) as clients:
        yield clients
