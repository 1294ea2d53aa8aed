"""One contract, every bus: in-process and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from server.bus import Bus, MemoryBus
from server.bus.redis import RedisBus
from tests.support.services import require_redis, unique_prefix

BusFactory = Callable[[], Bus]


@pytest.fixture(params=["memory", "redis"])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[BusFactory]:
    """A factory of started buses that share one network (for Redis: one prefix on one server)."""
    created: list[Bus] = []
    if request.param == "redis":
        url = require_redis()
        prefix = unique_prefix()

        def factory() -> Bus:
            bus = RedisBus(url, prefix=prefix)
            created.append(bus)
            return bus
    else:
        shared = MemoryBus()
        created.append(shared)

        def factory() -> Bus:
            return shared  # one process: every "node" is the same bus

    yield factory
    for bus in created:
        await bus.stop()


async def started(bus: Bus) -> Bus:
    if isinstance(bus, RedisBus) and bus._task is None:
        await bus.start()
    return bus


class Collector:
    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []
        self.event = asyncio.Event()

    async def __call__(self, channel: str, data: bytes) -> None:
        self.items.append((channel, data))
        self.event.set()

    async def wait_for(self, n: int, timeout: float = 5) -> None:
        async def until() -> None:
            while len(self.items) < n:
                self.event.clear()
                await self.event.wait()

        await asyncio.wait_for(until(), timeout)


async def test_publish_reaches_every_subscriber_including_own_process(make_bus: BusFactory) -> None:
    a, b = await started(make_bus()), await started(make_bus())
    ca, cb = Collector(), Collector()
    await a.subscribe("doc:1", ca)
    await b.subscribe("doc:1", cb)
    await a.publish("doc:1", b"\x00\x01binary")
    await ca.wait_for(1)
    await cb.wait_for(1)
    assert ca.items == cb.items == [("doc:1", b"\x00\x01binary")]


async def test_order_is_kept_per_channel(make_bus: BusFactory) -> None:
    a, b = await started(make_bus()), await started(make_bus())
    c = Collector()
    await b.subscribe("chat", c)
    for i in range(200):
        await a.publish("chat", str(i).encode())
    await c.wait_for(200)
    assert [int(d) for _, d in c.items] == list(range(200))


async def test_channels_are_isolated_and_unsubscribe_stops_delivery(make_bus: BusFactory) -> None:
    a = await started(make_bus())
    c1, c2 = Collector(), Collector()
    s1 = await a.subscribe("room:1", c1)
    await a.subscribe("room:2", c2)
    await a.publish("room:2", b"two")
    await c2.wait_for(1)
    await s1.close()
    await a.publish("room:1", b"one")
    await a.publish("room:2", b"again")
    await c2.wait_for(2)
    assert c1.items == []


async def test_failing_handler_does_not_stop_delivery(make_bus: BusFactory) -> None:
    a = await started(make_bus())
    good = Collector()
    calls = 0

    async def bad(channel: str, data: bytes) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    await a.subscribe("x", bad)
    await a.subscribe("x", good)
    await a.publish("x", b"1")
    await a.publish("x", b"2")
    await good.wait_for(2)
    await asyncio.sleep(0.05)
    assert calls == 2


async def test_subscribing_to_many_channels_while_the_bus_is_busy(make_bus: BusFactory) -> None:
    # A subscribe's confirmation may be read by the listener before the subscriber starts
    # waiting for it (redis-py yields while it writes SUBSCRIBE); steady traffic makes that
    # likely. Each subscribe must still return, subscribed, without a 5 s timeout.
    publisher, subscriber = await started(make_bus()), await started(make_bus())
    busy = Collector()
    await subscriber.subscribe("busy", busy)
    stop = asyncio.Event()

    async def traffic() -> None:
        while not stop.is_set():
            await publisher.publish("busy", b"x")
            await asyncio.sleep(0.001)

    noise = asyncio.create_task(traffic())
    try:
        await busy.wait_for(1)
        for i in range(1000):
            fresh = Collector()
            await asyncio.wait_for(subscriber.subscribe(f"fresh:{i}", fresh), 4)
            if i % 100 == 0:  # subscribed on return: a message sent now arrives
                await publisher.publish(f"fresh:{i}", b"hello")
                await fresh.wait_for(1)
    finally:
        stop.set()
        await noise


async def test_redis_bus_reconnects_after_connection_loss() -> None:
    url = require_redis()
    prefix = unique_prefix()
    async with RedisBus(url, prefix=prefix) as a, RedisBus(url, prefix=prefix) as b:
        reconnected = asyncio.Event()

        async def on_reconnect() -> None:
            reconnected.set()

        b.on_reconnect(on_reconnect)
        c = Collector()
        await b.subscribe("ch", c)
        # Kill b's listening connection from the server side, as a Redis restart would (only b's:
        # other tests and servers may be using this Redis at the same time).
        assert isinstance(b, RedisBus) and isinstance(a, RedisBus)
        clients = await a.redis.client_list()
        victims = [cl for cl in clients if cl.get("name") == b.client_name and int(cl.get("sub", 0)) > 0]
        assert victims, "b's subscribed connection is not in CLIENT LIST"
        for cl in victims:
            await a.redis.client_kill_filter(_id=cl["id"])
        await asyncio.wait_for(reconnected.wait(), 10)
        await a.publish("ch", b"after")
        await c.wait_for(1)
        assert c.items[-1] == ("ch", b"after")
