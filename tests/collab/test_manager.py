"""collab.manager: LiveDocuments, unload/reload, background compaction, resync after a bus gap."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pycrdt
import pytest

from collab.api import LIVE_DOCS, SESSIONS
from collab.protocol import SyncUpdate
from server.config import Settings
from tests.collab.conftest import room_with_doc
from tests.collab.test_server import handshake, receive, text_of, text_update
from tests.support.api import Api
from tests.support.server import RunningServer, make_settings


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
