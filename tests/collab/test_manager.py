"""collab.manager: LiveDocuments, unload/reload, background compaction, resync after a bus gap, no load gap."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pycrdt
import pytest

from collab.api import LIVE_DOCS, SESSIONS
from collab.protocol import SyncUpdate
from collab.store import StoredDoc
from server.config import Settings
from tests.support.api import Api
from tests.support.collab import handshake, receive, room_with_doc, text_of, text_update
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.services import require_redis, unique_prefix


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", collab_unload_after=0.2, collab_compact_after=5)


async def test_apply_update_reaches_clients_and_store(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    live = server.app[LIVE_DOCS]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_url}/collab/{s.doc_id}?token={s.host}") as ws:
            await handshake(ws)
            await live.apply_update(s.doc_id, text_update("恢复到第一稿"), origin="rest:test")
            [msg] = await receive(ws)
            assert isinstance(msg, SyncUpdate) and text_of(msg.update) == "恢复到第一稿"
    assert text_of(await live.state(s.doc_id)) == "恢复到第一稿"


async def test_idle_documents_unload_compact_and_reload(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    manager = server.app[SESSIONS]
    base = b""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_url}/collab/{s.doc_id}?token={s.host}") as ws:
            await handshake(ws)
            for i in range(8):
                u = text_update(f"{i}", base or None)
                base = u if not base else pycrdt.merge_updates(base, u)
                await ws.send_bytes(bytes(SyncUpdate(u)))
        # the client left at once: what it sent is still stored, and compacted in the background
        for _ in range(250):
            if await manager.store.log_length(s.doc_id) < 8 and manager.session(s.doc_id) is None:
                break
            await asyncio.sleep(0.02)
        assert await manager.store.log_length(s.doc_id) < 8
        assert manager.session(s.doc_id) is None  # unloaded once nobody is there
        assert text_of(await server.app[LIVE_DOCS].state(s.doc_id)) == "01234567"
        async with http.ws_connect(f"{server.ws_url}/collab/{s.doc_id}?token={s.editor}") as ws:
            seen = await handshake(ws)  # reloaded on demand
            assert text_of(seen[-1].update) == "01234567"  # type: ignore[union-attr]


async def test_resync_after_bus_gap_relays_what_was_missed(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    manager = server.app[SESSIONS]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_url}/collab/{s.doc_id}?token={s.host}") as ws:
            await handshake(ws)
            # another process stored this while our bus connection was down: we never heard of it
            await manager.store.append(s.doc_id, [text_update("别的进程写的")])
            await manager._resync_all()
            [msg] = await receive(ws)
            assert isinstance(msg, SyncUpdate) and text_of(msg.update) == "别的进程写的"


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
