"""One contract, every cluster: in-process and Redis (membership, one heartbeat, leases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from server.clock import Clock
from server.cluster import Cluster, MemoryCluster, MemoryNetwork
from server.cluster.redis import RedisCluster
from tests.support.services import require_redis, unique_prefix

NodeFactory = Callable[..., Awaitable[Cluster]]


@pytest.fixture(params=["memory", "redis"])
async def node(request: pytest.FixtureRequest) -> AsyncIterator[NodeFactory]:
    """A factory of started nodes of one deployment (for Redis: one prefix on one server)."""
    created: list[Cluster] = []
    network = MemoryNetwork()
    url = require_redis() if request.param == "redis" else ""
    prefix = unique_prefix()

    async def factory(node_ttl: float = 6.0, *, start: bool = True) -> Cluster:
        cluster: Cluster
        if url:
            cluster = RedisCluster(url, prefix=prefix, node_ttl=node_ttl)
        else:
            cluster = MemoryCluster(node_ttl=node_ttl, network=network)
        created.append(cluster)
        if start:
            await cluster.start()
        return cluster

    yield factory
    for cluster in created:
        await cluster.stop()


async def silence(cluster: Cluster) -> None:
    """Stop a node's heartbeat without a word, as a SIGKILL or a long stall would."""
    await cluster.tasks.close()


async def test_members_and_a_clean_stop_leaves_at_once(node: NodeFactory) -> None:
    a, b = await node(), await node()
    gone: list[str] = []

    async def on_gone(n: str) -> None:
        gone.append(n)

    a.on_node_gone(on_gone)
    await a.beat()  # a sees b
    assert {a.node_id, b.node_id} <= await a.members()
    assert await a.alive([a.node_id, b.node_id, "ghost"]) == {a.node_id, b.node_id}
    assert await a.alive([]) == set()
    await b.stop()
    assert await a.alive([b.node_id]) == set()
    await a.beat()
    assert gone == [b.node_id]
    await a.beat()
    assert gone == [b.node_id]  # reported once


async def test_a_silent_node_expires_after_its_ttl_and_is_reported_gone(node: NodeFactory) -> None:
    a, b = await node(), await node(node_ttl=0.3)
    gone: list[str] = []

    async def on_gone(n: str) -> None:
        gone.append(n)

    a.on_node_gone(on_gone)
    await a.beat()
    assert b.node_id in await a.members()
    await silence(b)
    await asyncio.sleep(0.45)
    assert await a.alive([b.node_id]) == set()
    assert b.node_id not in await a.members()
    await a.beat()
    assert gone == [b.node_id]


async def test_the_heartbeat_keeps_a_node_alive_and_runs_beat_listeners(node: NodeFactory) -> None:
    a, b = await node(), await node(node_ttl=0.3)
    beats = 0

    async def on_beat() -> None:
        nonlocal beats
        beats += 1

    b.on_beat(on_beat)
    await asyncio.sleep(0.9)  # three TTLs: only the heartbeat keeps b in
    assert await a.alive([b.node_id]) == {b.node_id}
    assert beats >= 2


async def test_a_node_whose_membership_lapsed_hears_it_once(node: NodeFactory) -> None:
    a = await node(node_ttl=0.2)
    lapses = 0

    async def on_lapsed() -> None:
        nonlocal lapses
        lapses += 1

    a.on_lapsed(on_lapsed)
    await silence(a)
    await a.beat()
    assert lapses == 0
    await asyncio.sleep(0.3)
    await a.beat()
    assert lapses == 1
    await a.beat()
    assert lapses == 1


async def test_a_failing_listener_is_logged_counted_and_the_beat_goes_on(node: NodeFactory) -> None:
    a = await node()
    seen: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        seen.append("ran")

    a.on_beat(broken)
    a.on_beat(fine)
    await a.beat()
    assert seen == ["ran"]
    assert a.failures.counts == {"cluster/beat": 1}


async def test_one_holder_per_key_until_release(node: NodeFactory) -> None:
    a, b = await node(), await node()
    la, lb = a.lease("feed", 5.0), b.lease("feed", 5.0)
    assert a.lease("feed", 99.0) is la  # one object per kind
    assert await la.holder("r1") is None and await la.expiry("r1") is None
    assert await la.acquire("r1")
    assert not await lb.acquire("r1")
    assert not await lb.renew("r1")
    assert await lb.holder("r1") == a.node_id
    left = await lb.expiry("r1")
    assert left is not None and 0 < left <= 5.0
    assert la.held() == {"r1"} and lb.held() == set()
    assert await lb.acquire("r2")  # keys are independent
    assert await a.lease("other", 5.0).acquire("r1")  # and so are kinds
    await lb.release("r1")  # not b's to release
    assert await la.holder("r1") == a.node_id
    assert await la.renew("r1")
    await la.release("r1")
    assert la.held() == set() and await la.holder("r1") is None
    assert await lb.acquire("r1")
    assert await la.holder("r1") == b.node_id


async def test_a_lease_not_renewed_expires_and_another_node_takes_it(node: NodeFactory) -> None:
    a, b = await node(start=False), await node()
    la, lb = a.lease("feed", 0.3), b.lease("feed", 0.3)  # a never started: nobody renews its leases
    lost: list[str] = []

    async def on_lost(key: str) -> None:
        lost.append(key)

    la.on_lost(on_lost)
    assert await la.acquire("r")
    await asyncio.sleep(0.45)
    assert await lb.holder("r") is None
    assert await lb.acquire("r")
    await la._renew_all()  # a wakes up from its stall: its renewal finds the lease gone
    await asyncio.sleep(0)
    await a.tasks.close()  # let the listener task finish
    assert lost == ["r"] and la.held() == set()
    assert await la.holder("r") == b.node_id


async def test_a_started_node_renews_what_it_holds_and_releases_it_on_stop(node: NodeFactory) -> None:
    a, b = await node(), await node()
    la, lb = a.lease("feed", 0.3), b.lease("feed", 0.3)
    assert await la.acquire("r")
    await asyncio.sleep(0.9)  # three TTLs
    assert await lb.holder("r") == a.node_id and not await lb.acquire("r")
    await a.stop()
    assert await lb.acquire("r")


async def test_a_slow_beat_listener_never_makes_its_node_look_dead(node: NodeFactory) -> None:
    a, b = await node(), await node(node_ttl=0.3)
    release = asyncio.Event()

    async def slow_housekeeping() -> None:
        await release.wait()

    b.on_beat(slow_housekeeping)
    await asyncio.sleep(0.9)  # three TTLs with the first beat's listener still busy
    assert await a.alive([b.node_id]) == {b.node_id}
    release.set()


@pytest.mark.redis
async def test_on_redis_a_node_whose_clock_is_off_reads_the_authoritys_time() -> None:
    url, prefix = require_redis(), unique_prefix()
    ahead = RedisCluster(url, prefix=prefix, clock=Clock(offset=5.0))
    behind = RedisCluster(url, prefix=prefix, clock=Clock(offset=-3.0))
    async with ahead, behind:
        assert abs(ahead.clock.local() - behind.clock.local() - 8.0) < 0.1
        assert abs(ahead.clock.now() - behind.clock.now()) < 0.05  # one time for stamps, from Redis
        await ahead.beat()
        assert abs(ahead.clock.now() - behind.clock.now()) < 0.05


async def forget_everything(cluster: Cluster) -> None:
    """What a restart of an empty Redis does: every membership and lease of the deployment is gone."""
    if isinstance(cluster, RedisCluster):
        keys = [k async for k in cluster.redis.scan_iter(match=cluster.p + "*")]
        if keys:
            await cluster.redis.delete(*keys)
    else:
        assert isinstance(cluster, MemoryCluster)
        cluster.network.nodes.clear()
        cluster.network.leases.clear()


async def test_after_the_backend_forgot_everything_nobody_is_taken_for_dead(node: NodeFactory) -> None:
    a, b = await node(node_ttl=0.6), await node(node_ttl=0.6)
    gone: list[str] = []

    async def on_gone(n: str) -> None:
        gone.append(n)

    a.on_node_gone(on_gone)
    await a.beat()
    lease = a.lease("feed", 5.0)
    assert await lease.acquire("r")
    await forget_everything(a)
    await a.beat()  # a finds its own membership lapsed: b has not beaten since the loss
    assert not a.settled()
    assert b.node_id in await a.alive([b.node_id]) and b.node_id in await a.members()
    assert gone == []
    await lease._renew_all()  # the holder takes its free lease back
    assert await lease.holder("r") == a.node_id and lease.held() == {"r"}
    await silence(b)  # b really dies now: it is noticed once the vouching time is over
    await asyncio.sleep(0.7)
    assert a.settled()
    await a.beat()
    assert gone == [b.node_id]


async def test_after_the_backend_forgot_everything_a_bystander_leaves_a_key_to_its_holder(
    node: NodeFactory,
) -> None:
    # Issue 20 (CI): a second process asked for a room's media home right after Redis restarted empty,
    # found it free and took it from the process that had the room's media; the program cut went dark.
    a, b = await node(node_ttl=0.6), await node(node_ttl=0.6)
    la, lb = a.lease("feed", 5.0), b.lease("feed", 5.0)
    assert await la.acquire("r")
    await forget_everything(a)
    assert await lb.holder("r") is None
    assert not await lb.acquire("r")  # b's membership is gone too: the store lost its state
    await b.beat()  # b beats again and hears of the lapse: unsettled for one node_ttl
    assert not b.settled() and not await lb.acquire("r")
    await la._renew_all()  # the holder takes its key back
    assert await lb.holder("r") == a.node_id and la.held() == {"r"}
    await la.release("r")
    await asyncio.sleep(0.7)  # settled again: a free key is anyone's
    await b.beat()
    assert b.settled() and await lb.acquire("r")
