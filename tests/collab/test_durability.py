"""Crash safety and several processes: real ``moke serve`` subprocesses, real Yjs clients, real Redis/PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pycrdt

import server.models  # noqa: F401  (users table for the foreign keys)
from collab.store import DocStore
from server.db import Database
from tests.support.api import Api
from tests.support.collab import Setup, room_with_doc
from tests.support.server import ServerProcess
from tests.support.services import fresh_pg_database, require_redis, unique_prefix
from tests.support.yjs import yclients


@asynccontextmanager
async def setup_on(url: str, database_url: str) -> AsyncIterator[Setup]:
    db = Database(database_url)
    await db.start(migrate=False)
    try:
        async with aiohttp.ClientSession() as http:
            yield await room_with_doc(Api(http, url), db)
    finally:
        await db.stop()


async def stored_map(database_url: str, doc_id: str) -> dict[str, object]:
    db = Database(database_url)
    await db.start(migrate=False)
    try:
        state = (await DocStore(db).load(doc_id)).state
    finally:
        await db.stop()
    doc: pycrdt.Doc[pycrdt.Map[object]] = pycrdt.Doc()
    doc.apply_update(state)
    return dict(doc.get("m", type=pycrdt.Map).to_py() or {})


async def test_sigkill_during_editing_storm_keeps_every_relayed_edit(tmp_path: Path) -> None:
    data = tmp_path / "var"
    database_url = f"sqlite+aiosqlite:///{data / 'moke.db'}"
    # fifty clients of one editor's token: a load, so the per-token and per-account caps are raised
    env = {"MOKE_COLLAB_COMPACT_AFTER": "300", "MOKE_CONN_PER_TOKEN": "50", "MOKE_CONN_PER_USER": "50"}
    server = await ServerProcess(data, env=env).start()
    try:
        async with setup_on(server.url, database_url) as s:
            pass
        async with yclients(server.ws_url + "/collab") as yc:
            clients = [await yc.open(s.doc_id, s.editor, f"c{i}", synced=False) for i in range(50)]
            await asyncio.gather(*(yc.call("wait_synced", client=c, timeout=20) for c in clients))
            storm = asyncio.ensure_future(
                yc.call("storm", timeout=60, clients=clients, edits=40, interval=40)
            )
            await asyncio.sleep(1.0)  # the storm is under way: kill in the middle of it
            server.kill()
            await yc.call("disconnect_all")
            await storm
            received: set[str] = set()
            for c in clients:
                own = f"c{c}:"
                received |= {k for k in await yc.map(c) if not k.startswith(own)}
        assert len(received) > 100, "the storm should have relayed edits before the kill"
        server = await server.restart()
        stored = await stored_map(database_url, s.doc_id)
        missing = received - set(stored)
        assert not missing, f"{len(missing)} relayed edits lost, e.g. {sorted(missing)[:5]}"
        # the restarted server serves them to a fresh client
        async with yclients(server.ws_url + "/collab") as yc:
            c = await yc.open(s.doc_id, s.host)
            await yc.call("wait_map_size", client=c, size=len(stored))
    finally:
        server.kill()


async def test_two_processes_on_one_redis_and_postgres_converge(tmp_path: Path) -> None:
    redis_url = require_redis()
    async with fresh_pg_database() as database_url:
        env = {"MOKE_REDIS_URL": redis_url, "MOKE_REDIS_PREFIX": unique_prefix(), "MOKE_DATABASE_URL": database_url,
               "MOKE_SECRET_KEY": "shared-secret-for-both-processes"}  # fmt: skip
        one = await ServerProcess(tmp_path / "one", env).start()
        two = await ServerProcess(tmp_path / "two", env).start()
        try:
            async with setup_on(one.url, database_url) as s:
                pass
            async with yclients(one.ws_url + "/collab") as y1, yclients(two.ws_url + "/collab") as y2:
                a = await y1.open(s.doc_id, s.host, "一号")
                b = await y2.open(s.doc_id, s.editor, "二号")
                await y1.call("insert", client=a, text="教学目标")
                await y2.call("wait_text", client=b, text="教学目标")
                await asyncio.gather(
                    y1.call("storm", clients=[a], edits=30, interval=5),
                    y2.call("storm", clients=[b], edits=30, interval=5),
                )
                await y1.call("wait_map_size", client=a, size=60)
                await y2.call("wait_map_size", client=b, size=60)
                assert await y1.map(a) == await y2.map(b)
                # awareness crosses processes, and is cleared when the other process dies
                for _ in range(100):
                    if (await y1.call("awareness_names", client=a))["names"] == ["一号", "二号"]:
                        break
                    await asyncio.sleep(0.05)
                assert (await y1.call("awareness_names", client=a))["names"] == ["一号", "二号"]
                two.kill()
                for _ in range(150):
                    if (await y1.call("awareness_names", client=a))["names"] == ["一号"]:
                        break
                    await asyncio.sleep(0.1)
                assert (await y1.call("awareness_names", client=a))["names"] == ["一号"]
        finally:
            one.kill()
            two.kill()
