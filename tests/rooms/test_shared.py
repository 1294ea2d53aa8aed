"""One contract over both shared-state implementations: in-process and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from rooms.shared import MemoryShared, RedisShared, SharedState
from tests.support.services import require_redis, unique_prefix


@pytest.fixture(params=["memory", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[SharedState]:
    if request.param == "memory":
        impl: SharedState = MemoryShared()
    else:
        impl = RedisShared(require_redis(), unique_prefix())
    yield impl
    await impl.close()


async def test_presence_and_ghost_sweep(shared: SharedState) -> None:
    living = {"live", "doomed"}  # what the cluster's membership says (server.cluster has its own contract)
    asked: list[set[str]] = []

    async def alive(nodes: set[str]) -> set[str]:
        asked.append(set(nodes))
        return nodes & living

    await shared.presence_put("r1", "s1", "live", {"user_id": 1})
    await shared.presence_put("r1", "s2", "doomed", {"user_id": 2})
    await shared.presence_put("r2", "s3", "doomed", {"user_id": 3})
    assert set(await shared.presence("r1")) == {"s1", "s2"}
    assert (await shared.presence("r1"))["s2"] == {"user_id": 2, "node": "doomed"}
    assert await shared.sweep(alive) == {}
    assert set().union(*asked) == {"live", "doomed"}
    living.discard("doomed")  # its process died
    removed = await shared.sweep(alive)
    assert {r: [e["user_id"] for e in es] for r, es in removed.items()} == {"r1": [2], "r2": [3]}
    assert set(await shared.presence("r1")) == {"s1"} and await shared.presence("r2") == {}
    assert await shared.sweep(alive) == {}  # each ghost is reported once
    assert (await shared.presence_remove("r1", "s1"))["user_id"] == 1  # type: ignore[index]
    assert await shared.presence_remove("r1", "s1") is None


async def test_snapshot_reads_presence_hands_seats_and_numbers_each_reading(shared: SharedState) -> None:
    first = await shared.snapshot("r")
    assert (first.entries, first.hands, first.seats) == ({}, [], [])
    await shared.presence_put("r", "s1", "n", {"user_id": 1})
    await shared.hand_raise("r", 2)
    await shared.seat_grant("r", 1, 3)
    await asyncio.gather(*(shared.snapshot("other") for _ in range(5)))  # other rooms count on their own
    readings = await asyncio.gather(*(shared.snapshot("r") for _ in range(10)))
    revs = [s.rev for s in readings]
    assert len(set(revs)) == 10 and min(revs) > first.rev  # each reading gets its own, later number
    last = readings[-1]
    assert last.entries == {"s1": {"user_id": 1, "node": "n"}} and last.hands == [2] and last.seats == [1]


async def test_hands_and_seats_with_a_limit(shared: SharedState) -> None:
    await shared.hand_raise("r", 5)
    await shared.hand_raise("r", 7)
    await shared.hand_raise("r", 5)
    assert await shared.hands("r") == [5, 7]
    assert await shared.seat_grant("r", 5, 2)  # granting lowers the hand
    assert await shared.hands("r") == [7]
    assert await shared.seat_grant("r", 5, 2)  # already seated: still True, no second seat
    assert await shared.seat_grant("r", 6, 2)
    assert not await shared.seat_grant("r", 7, 2)
    assert await shared.seats("r") == [5, 6]
    assert await shared.seat_revoke("r", 5) and not await shared.seat_revoke("r", 5)
    assert await shared.hand_lower("r", 7) and not await shared.hand_lower("r", 7)


async def test_concurrent_grants_never_exceed_the_limit(shared: SharedState) -> None:
    results = await asyncio.gather(*(shared.seat_grant("busy", uid, 4) for uid in range(1, 31)))
    assert sum(results) == 4 and len(await shared.seats("busy")) == 4


@pytest.mark.redis
async def test_readings_keep_rising_when_redis_forgets_the_counter() -> None:
    shared = RedisShared(require_redis(), unique_prefix())
    try:
        first = (await shared.snapshot("r")).rev
        second = (await shared.snapshot("r")).rev
        assert second > first
        await shared.redis.delete(shared.p + "presence_rev:r")  # what an empty restart of Redis does
        assert (await shared.snapshot("r")).rev > second  # clients holding older lines take the new ones
    finally:
        await shared.close()
