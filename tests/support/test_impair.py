"""The user-space link impairer: real UDP sockets on loopback, decisions reproducible from a seed."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from tests.support.impair import Impairment, UdpImpairer, _Direction, host_candidate, rewrite_candidates


class Endpoint(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.arrived = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.got.append(data)
        self.arrived.set()

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port


async def endpoint() -> Endpoint:
    loop = asyncio.get_running_loop()
    ep = Endpoint()
    await loop.create_datagram_endpoint(lambda: ep, local_addr=("127.0.0.1", 0))
    return ep


async def settle(relay: UdpImpairer, expected: int) -> None:
    """Until every datagram the relay took in is delivered or dropped."""
    for _ in range(400):
        total = sum(s.received for s in relay.stats.values())
        done = sum(
            s.delivered + s.dropped_loss + s.dropped_queue + s.dropped_no_peer for s in relay.stats.values()
        )
        if total >= expected and done == total:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"relay did not settle: {relay.stats}")


async def run_link(
    impairment: Impairment, seed: int, count: int = 400
) -> tuple[list[bytes], list[bytes], UdpImpairer]:
    client, server = await endpoint(), await endpoint()
    relay = await UdpImpairer(impairment, seed=seed, target=server.address).start()
    assert client.transport is not None and server.transport is not None
    for i in range(count):
        client.transport.sendto(i.to_bytes(4, "big"), relay.a_address)
        if i % 16 == 15:
            await asyncio.sleep(0.001)  # no burst beyond the kernel's socket buffer
    await settle(relay, count)
    replies = 0
    for data in server.got[:50]:  # the server answers: back through the latched client address
        server.transport.sendto(b"re" + data, relay.b_address)
        replies += 1
    await settle(relay, count + replies)
    for _ in range(100):  # what the relay sent is in the kernel; let the loop read it
        if len(client.got) >= relay.stats["b->a"].delivered:
            break
        await asyncio.sleep(0.01)
    relay.close()
    client.transport.close()
    server.transport.close()
    return server.got, client.got, relay


async def test_loss_is_random_but_reproducible_from_the_seed_and_order_is_kept() -> None:
    link = Impairment(loss=0.05, delay=0.02, jitter=0.01)
    got, back, relay = await run_link(link, seed=3)
    again, _, _ = await run_link(link, seed=3)
    other, _, _ = await run_link(link, seed=4)
    forward = relay.stats["a->b"]
    assert forward.received == 400 and forward.dropped_loss == 400 - len(got)
    assert 5 <= forward.dropped_loss <= 40, forward  # about 5 % of 400
    numbers = [int.from_bytes(d, "big") for d in got]
    assert numbers == sorted(numbers), "jitter must not reorder"
    assert got == again  # same seed: the same datagrams lost
    assert got != other
    assert relay.stats["b->a"].received == 50 and len(back) == 50 - relay.stats["b->a"].dropped_loss
    assert all(d.startswith(b"re") for d in back)


async def test_a_rate_cap_queues_then_tail_drops() -> None:
    # 400 datagrams of 4 bytes, faster than 8 kbit/s drains them, with room for 100 bytes (25) queued
    got, _, relay = await run_link(Impairment(rate_bps=8000, queue_bytes=100), seed=0)
    forward = relay.stats["a->b"]
    assert forward.received == 400 and forward.dropped_queue > 0
    assert len(got) == forward.delivered == 400 - forward.dropped_queue >= 25


async def test_a_throttle_lifts_when_the_impairment_changes() -> None:
    client, server = await endpoint(), await endpoint()
    relay = await UdpImpairer(Impairment(loss=1.0), seed=0, target=server.address).start()
    assert client.transport is not None
    client.transport.sendto(b"lost", relay.a_address)
    await settle(relay, 1)
    relay.change(Impairment())
    client.transport.sendto(b"kept", relay.a_address)
    await settle(relay, 2)
    for _ in range(100):
        if server.got:
            break
        await asyncio.sleep(0.01)
    assert server.got == [b"kept"] and relay.stats["a->b"].dropped_loss == 1
    relay.close()
    for ep in (client, server):
        assert ep.transport is not None
        ep.transport.close()


def test_departures_follow_the_rate_and_arrivals_the_delay() -> None:
    """The schedule itself, on a synthetic clock: 1000-byte datagrams on a 1 Mbit/s link, 50 ± 20 ms."""
    import random

    d = _Direction(
        "a->b", Impairment(delay=0.05, jitter=0.02, rate_bps=1_000_000, queue_bytes=10_000), random.Random(1)
    )
    times = [d.schedule(1000, 0.0) for _ in range(12)]
    kept = [t for t in times if t is not None]
    assert len(kept) == 10 and d.stats.dropped_queue == 2  # 10 kB queue: 10 datagrams
    for i, t in enumerate(kept):  # each leaves the queue 8 ms after the one before, then 30..70 ms
        leaves = (i + 1) * 0.008
        assert leaves + 0.03 - 1e-9 <= t <= max(leaves + 0.07, kept[i - 1] if i else 0) + 1e-9
    assert kept == sorted(kept)


def test_impairments_are_checked() -> None:
    with pytest.raises(ValueError):
        Impairment(loss=1.5)
    with pytest.raises(ValueError):
        Impairment(delay=0.01, jitter=0.02)
    with pytest.raises(ValueError):
        Impairment(rate_bps=0)


def test_candidates_are_rewritten_to_the_relay() -> None:
    sdp = (
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
        "a=candidate:2 1 udp 2130706431 10.0.0.5 50001 typ host\r\n"
        "a=candidate:3 1 udp 1694498815 1.2.3.4 50002 typ srflx raddr 10.0.0.5 rport 50001\r\n"
        "a=end-of-candidates\r\n"
    )
    assert host_candidate(sdp) == ("127.0.0.1", 50000)
    out = rewrite_candidates(sdp, ("127.0.0.1", 40000))
    assert [ln for ln in out.splitlines() if ln.startswith("a=candidate")] == [
        "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"
    ]
    with pytest.raises(ValueError):
        host_candidate("v=0\r\n")
