"""One contract over every ProgramStore: compare-and-set on the epoch and live venues (the feed's home is
a cluster lease, covered by tests/server/cluster)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.db import Database
from server.models import User
from tests.support.api import make_room
from tests.support.services import fresh_pg_database, require_redis, unique_prefix
from venues.state import OnAir, ProgramState
from venues.store import MemoryProgramStore, ProgramStore, RedisProgramStore, SqlProgramStore


@pytest.fixture(params=["memory", "sqlite", "postgresql", "redis"])
async def store_and_room(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[ProgramStore, str]]:
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "postgresql":
            url = await stack.enter_async_context(fresh_pg_database())
        else:
            url = f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}"
        db = await stack.enter_async_context(Database(url))
        async with db.transaction() as s:
            user = User(username="host", display_name="主持人", created_at=0.0)
            s.add(user)
            await s.flush()
            uid = user.id
        room = await make_room(db, uid, kind="showcase")
        store: ProgramStore
        if request.param == "memory":
            store = MemoryProgramStore()
        elif request.param in ("sqlite", "postgresql"):
            store = SqlProgramStore(db)
        else:
            store = RedisProgramStore(require_redis(), db, prefix=unique_prefix())
        try:
            yield store, room
        finally:
            await store.close()


async def test_fresh_room_starts_at_epoch_zero(store_and_room: tuple[ProgramStore, str]) -> None:
    store, room = store_and_room
    assert await store.load(room) == ProgramState(room)


async def test_compare_and_set_on_the_epoch(store_and_room: tuple[ProgramStore, str]) -> None:
    store, room = store_and_room
    s1 = ProgramState(room, program="s1", epoch=1, on_air=OnAir.VENUE, updated_at=1.0, updated_by=3)
    assert await store.save(s1, expected_epoch=0)
    assert await store.load(room) == s1
    stale = dataclasses.replace(s1, program="s3", epoch=1)
    assert not await store.save(stale, expected_epoch=0)
    s2 = dataclasses.replace(s1, program="s3", epoch=2)
    assert await store.save(s2, expected_epoch=1)
    assert not await store.save(dataclasses.replace(s1, epoch=2), expected_epoch=1)
    assert (await store.load(room)).program == "s3"


async def test_concurrent_writers_from_one_epoch_exactly_one_wins(
    store_and_room: tuple[ProgramStore, str],
) -> None:
    store, room = store_and_room
    candidates = [ProgramState(room, program=f"v{i}", epoch=1) for i in range(6)]
    results = await asyncio.gather(*(store.save(c, expected_epoch=0) for c in candidates))
    assert sum(results) == 1
    winner = candidates[results.index(True)]
    assert (await store.load(room)).program == winner.program


async def everyone(nodes: set[str]) -> set[str]:
    return nodes


async def test_live_venues(store_and_room: tuple[ProgramStore, str]) -> None:
    store, room = store_and_room
    await store.set_live(room, "s1", True, node="a")
    await store.set_live(room, "s3", True, node="a")
    await store.set_live(room, "s1", False)
    assert await store.live(room, everyone) == frozenset({"s3"})
    assert await store.live("other", everyone) == frozenset()


@pytest.mark.redis
async def test_shared_liveness_goes_with_the_process(tmp_path: Path) -> None:
    """A process that dies never says its venues went offline: in Redis they go when the cluster no
    longer counts their process alive (server.cluster's contract covers the heartbeat itself)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}")  # the state's home; unused here
    store = RedisProgramStore(require_redis(), db, prefix=unique_prefix())
    living = {"a", "b"}

    async def alive(nodes: set[str]) -> set[str]:
        return nodes & living

    try:
        await store.set_live("r", "long", True, node="a")
        await store.set_live("r", "dies", True, node="b")
        await store.set_live("r", "renewed", True, node="a")
        assert await store.live("r", alive) == frozenset({"dies", "renewed", "long"})
        living.discard("b")  # b's heartbeat lapsed
        assert await store.live("r", alive) == frozenset({"renewed", "long"})
        await store.set_live("r", "renewed", False)
        assert await store.live("r", alive) == frozenset({"long"})
    finally:
        await store.close()
