"""Two processes' document managers on one database and one Redis: an update made by one process
while the other is between subscribing and reading the store must not be lost (no load/subscribe gap)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from collab.api import LIVE_DOCS, SESSIONS
from collab.store import StoredDoc
from tests.collab.conftest import room_with_doc
from tests.collab.test_server import text_of, text_update
from tests.support.api import Api
from tests.support.server import make_settings, running_server
from tests.support.services import require_redis, unique_prefix


async def test_update_published_while_another_process_loads_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url = require_redis()
    prefix = unique_prefix()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    common = {"redis_url": redis_url, "redis_prefix": prefix, "database_url": db_url}
    a_settings = make_settings(tmp_path / "a", **common)
    b_settings = make_settings(tmp_path / "b", **common).with_overrides(secret_key=a_settings.secret_key)
    async with running_server(a_settings) as a, running_server(b_settings) as b:
        async with aiohttp.ClientSession() as http:
            s = await room_with_doc(Api(http, a.url), a.ctx.db)
        live_a = a.app[LIVE_DOCS]
        await live_a.apply_update(s.doc_id, text_update("第一稿。"), origin="test:a")

        # B reads the store *before* A's next update is stored, then waits: exactly the window
        # between subscribing and applying what was read.
        manager_b = b.app[SESSIONS]
        original_load = manager_b.store.load
        read_done, release = asyncio.Event(), asyncio.Event()

        async def slow_load(doc_id: str) -> StoredDoc:
            stored = await original_load(doc_id)
            read_done.set()
            await release.wait()
            return stored

        monkeypatch.setattr(manager_b.store, "load", slow_load)
        loading = asyncio.create_task(manager_b.acquire(s.doc_id))
        await asyncio.wait_for(read_done.wait(), 10)
        assert text_of(await live_a.state(s.doc_id)) == "第一稿。"
        base = await live_a.state(s.doc_id)
        await live_a.apply_update(s.doc_id, text_update("加入小组讨论。", base), origin="test:a")

        entry = manager_b._docs[s.doc_id]
        for _ in range(200):  # until A's update reached B over Redis (buffered, since B is loading)
            if entry.buffer:
                break
            await asyncio.sleep(0.02)
        assert entry.buffer, "A's update never reached B over the bus"
        release.set()
        room = await asyncio.wait_for(loading, 10)
        try:
            assert text_of(await b.app[LIVE_DOCS].state(s.doc_id)) == "第一稿。加入小组讨论。"
        finally:
            manager_b.release(room)
