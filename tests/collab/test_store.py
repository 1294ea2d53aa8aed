"""collab.store contract, run over SQLite and PostgreSQL: group commit, load, compaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pycrdt
import pytest

import server.models  # noqa: F401  (users table for the foreign keys)
from collab.store import DocStore
from server.db import Database
from tests.support.services import fresh_pg_database


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocStore]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        await db.start()
        yield DocStore(db)
        await db.stop()
    else:
        async with fresh_pg_database() as url:
            db = Database(url)
            await db.start()
            yield DocStore(db)
            await db.stop()


def edits(n: int) -> tuple[list[bytes], str]:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    text = doc.get("t", type=pycrdt.Text)
    updates = []
    for i in range(n):
        sv = doc.get_state()
        text += f"第{i}句。"
        updates.append(doc.get_update(sv))
    return updates, str(text)


def text_of(state: bytes) -> str:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(state)
    return str(doc.get("t", type=pycrdt.Text))


async def test_appends_of_one_loop_turn_share_one_transaction(store: DocStore) -> None:
    updates, want = edits(30)
    before = store.commits
    await asyncio.gather(*(store.append("doc-a" if i % 2 else "doc-b", [u]) for i, u in enumerate(updates)))
    assert store.commits - before == 1
    await store.append("doc-c", updates)
    assert text_of((await store.load("doc-c")).state) == want


async def test_compaction_folds_the_log_into_a_snapshot(store: DocStore) -> None:
    updates, want = edits(20)
    await store.append("d", updates[:12])
    assert await store.compact("d") == 12
    assert await store.log_length("d") == 0
    await store.append("d", updates[12:])
    loaded = await store.load("d")
    assert text_of(loaded.state) == want and loaded.pending_updates == 8
    assert await store.compact("d") == 8
    assert text_of((await store.load("d")).state) == want
    assert await store.compact("d") == 0


async def test_concurrent_compaction_and_appends_lose_nothing(store: DocStore) -> None:
    updates, want = edits(60)

    async def writer() -> None:
        for u in updates:
            await store.append("d", [u])

    async def compactor() -> None:
        for _ in range(10):
            await store.compact("d")
            await asyncio.sleep(0)

    await asyncio.gather(writer(), compactor())
    assert text_of((await store.load("d")).state) == want
