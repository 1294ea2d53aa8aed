"""PostgreSQL restarted mid-edit: edits during the outage are refused with the 1011 close, and the stock
y-websocket client resends them once the database is back; none is lost.

A ``moke serve`` process on a private PostgreSQL (``tests/support/private_services.py``) and real Yjs
clients in Node (``tests/js/yclients.mjs``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pycrdt
import pytest

import server.models  # noqa: F401  (users table for the foreign keys)
from collab.store import DocStore
from server.db import Database
from tests.support.api import Api
from tests.support.collab import Setup, room_with_doc
from tests.support.private_services import private_postgres
from tests.support.server import ServerProcess
from tests.support.yjs import YClients, yclients

pytestmark = [pytest.mark.postgres, pytest.mark.node]


async def stored_keys(database_url: str, doc_id: str) -> set[str]:
    db = Database(database_url)
    await db.start(migrate=False)
    try:
        state = (await DocStore(db).load(doc_id)).state
    finally:
        await db.stop()
    doc: pycrdt.Doc[pycrdt.Map[object]] = pycrdt.Doc()
    doc.apply_update(state)
    return set(doc.get("m", type=pycrdt.Map).to_py() or {})


async def map_when(yc: YClients, client: int, keys: set[str], timeout: float = 60) -> set[str]:
    """The client's map keys once they are ``keys`` (or what they are when ``timeout`` runs out)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen = set(await yc.map(client))
        if seen == keys or asyncio.get_running_loop().time() > deadline:
            return seen
        await asyncio.sleep(0.1)


async def edit(yc: YClients, client: int, keys: list[str]) -> None:
    for key in keys:
        await yc.call("set", client=client, key=key, value=key)
        await asyncio.sleep(0.05)


async def test_edits_during_a_postgres_restart_are_refused_with_1011_and_resent_after(tmp_path: Path) -> None:
    async with private_postgres() as pg:
        proc = await ServerProcess(tmp_path / "var", env={"MOKE_DATABASE_URL": pg.url}).start(timeout=90)
        try:
            db = Database(pg.url)
            await db.start(migrate=False)
            try:
                async with aiohttp.ClientSession() as http:
                    s: Setup = await room_with_doc(Api(http, proc.url), db)
            finally:
                await db.stop()
            async with yclients(proc.ws_url + "/collab") as yc:
                writer = await yc.open(s.doc_id, s.editor, "w")
                reader = await yc.open(s.doc_id, s.host, "r")
                before = [f"before:{i}" for i in range(5)]
                await edit(yc, writer, before)
                await yc.call("wait_map_size", client=reader, size=len(before))
                await pg.stop()
                during = [f"during:{i}" for i in range(10)]
                await edit(yc, writer, during)
                closed = await yc.wait_event(event="close", client=writer, timeout=30)
                assert closed["code"] == 1011, closed  # refused: the store could not keep it
                async with aiohttp.ClientSession() as http:  # REST says so too, and the server stays up
                    status, body = await Api(http, proc.url).call("GET", "/api/rooms", token=s.host)
                assert (status, body["error"]["code"]) == (503, "db_unavailable"), body
                await asyncio.sleep(1.0)  # the client keeps trying while the database is down
                await pg.start()
                after = [f"after:{i}" for i in range(5)]
                await edit(yc, writer, after)
                everything = set(before + during + after)
                # the writer's provider reconnects and resyncs: the reader gets every edit, stored
                assert await map_when(yc, reader, everything) == everything
                await yc.call("exit")
            assert proc.terminate() == 0
            assert await stored_keys(pg.url, s.doc_id) == everything
            proc = await proc.restart(timeout=90)  # a fresh process reads the document back from the store
            async with yclients(proc.ws_url + "/collab") as yc:
                fresh = await yc.open(s.doc_id, s.host, "fresh")
                assert await map_when(yc, fresh, everything) == everything
        finally:
            proc.kill()
