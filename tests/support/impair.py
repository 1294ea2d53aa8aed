"""A user-space impaired link: an asyncio UDP relay that drops, rate-limits and delays datagrams.

The kernel here has no ``netem`` qdisc, so a lossy, jittery, narrow school link is made in user space.
:class:`UdpImpairer` has two UDP sockets, side ``a`` and side ``b``; whatever arrives on one leaves by
the other, impaired per direction::

    link = Impairment(loss=0.05, delay=0.05, jitter=0.02, rate_bps=2_000_000)
    async with UdpImpairer(link, seed=7) as relay:          # both directions impaired alike
        relay.a_address  # give this to the client as the server's address
        relay.b_address  # give this to the server as the client's address (or set ``target``)
        ...
        relay.stats["a->b"].dropped_loss

Each side talks to one peer: the address given (``target`` for side ``b``) or else the first address a
datagram arrives from on that side (latched; a datagram for a side whose peer is not known yet is
dropped, as if it were lost, and ICE simply retries). With ``target`` it is a one-client UDP proxy
(say a TURN client in front of coturn); without, it sits between two peers that were each told the
other's side (say aiortc host candidates rewritten in the SDP: :func:`rewrite_candidates`).

Per direction, a datagram is (1) dropped with probability ``loss``, (2) queued behind the link's
``rate_bps`` (a FIFO drained at that rate; tail-dropped when ``queue_bytes`` are already waiting),
then (3) delivered ``delay`` ± ``jitter`` (uniform) after it left the queue, never before the one
sent before it (like jitter from queueing: no reordering). Loss and jitter are drawn from
``random.Random`` seeded by ``seed`` and the direction, so a run's sequence of decisions is
reproducible. ``python -m tests.support.impair --help`` runs one from the command line (e.g. inside
a network namespace).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import cast

Address = tuple[str, int]


@dataclass(frozen=True)
class Impairment:
    """One direction of a link. Seconds and bits per second; ``rate_bps=None`` means no cap."""

    loss: float = 0.0
    delay: float = 0.0
    jitter: float = 0.0
    rate_bps: float | None = None
    queue_bytes: int = 64 * 1024

    def __post_init__(self) -> None:
        if not 0 <= self.loss <= 1:
            raise ValueError("loss is a probability in [0, 1]")
        if self.delay < 0 or self.jitter < 0 or self.jitter > self.delay:
            raise ValueError("delay and jitter must be >= 0 and jitter <= delay")
        if self.rate_bps is not None and self.rate_bps <= 0:
            raise ValueError("rate_bps must be positive (or None for no cap)")


@dataclass
class DirectionStats:
    """What happened to the datagrams of one direction."""

    received: int = 0
    delivered: int = 0
    dropped_loss: int = 0  # the random loss
    dropped_queue: int = 0  # over the rate cap with a full queue
    dropped_no_peer: int = 0  # the other side's peer was not known yet
    bytes_delivered: int = 0


class _Side(asyncio.DatagramProtocol):
    def __init__(self, relay: UdpImpairer, name: str) -> None:
        self.relay = relay
        self.name = name
        self.transport: asyncio.DatagramTransport | None = None
        self.peer: Address | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is not a subclass

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self.peer is None:
            self.peer = addr[:2]
        elif addr[:2] != self.peer:
            return  # a stranger: this link carries one flow
        self.relay._carry(self.name, data)


class _Direction:
    """The queue, clock and dice of one direction."""

    def __init__(self, name: str, impairment: Impairment, rng: random.Random) -> None:
        self.name = name
        self.impairment = impairment
        self.in_flight: deque[tuple[float, bytes]] = deque()  # (arrival time, datagram), in order
        self.rng = rng
        self.stats = DirectionStats()
        self.link_free_at = 0.0  # when the rate-limited link has sent everything queued so far
        self.last_arrival = 0.0

    def schedule(self, size: int, now: float) -> float | None:
        """When a datagram of ``size`` bytes arriving ``now`` comes out, or None when it is dropped."""
        imp, stats = self.impairment, self.stats
        stats.received += 1
        if imp.loss and self.rng.random() < imp.loss:
            stats.dropped_loss += 1
            return None
        departs = now
        if imp.rate_bps is not None:
            start = max(now, self.link_free_at)
            if round((start - now) * imp.rate_bps / 8) + size > imp.queue_bytes:
                stats.dropped_queue += 1
                return None
            departs = self.link_free_at = start + size * 8 / imp.rate_bps
        arrives = departs + imp.delay + (self.rng.uniform(-imp.jitter, imp.jitter) if imp.jitter else 0.0)
        arrives = self.last_arrival = max(arrives, self.last_arrival)  # no reordering
        return arrives


class UdpImpairer:
    """A two-sided UDP relay impairing each direction (``a->b`` uses ``forward``, ``b->a`` ``backward``)."""

    def __init__(
        self,
        forward: Impairment | None = None,
        backward: Impairment | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        a_port: int = 0,
        target: Address | None = None,
    ) -> None:
        forward = forward or Impairment()
        self.host = host
        self.a_port = a_port
        self.target = target
        self._directions = {
            "a->b": _Direction("a->b", forward, random.Random(f"{seed}:a->b")),
            "b->a": _Direction("b->a", backward or forward, random.Random(f"{seed}:b->a")),
        }
        self._sides: dict[str, _Side] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def change(self, forward: Impairment, backward: Impairment | None = None) -> None:
        """Impair from now on as given (a throttle that lifts); what is queued or in flight stays."""
        self._directions["a->b"].impairment = forward
        self._directions["b->a"].impairment = backward or forward

    @property
    def stats(self) -> dict[str, DirectionStats]:
        """Per direction (``"a->b"``, ``"b->a"``): received, delivered and dropped datagrams."""
        return {name: d.stats for name, d in self._directions.items()}

    @property
    def a_address(self) -> Address:
        return self._address("a")

    @property
    def b_address(self) -> Address:
        return self._address("b")

    def _address(self, side: str) -> Address:
        transport = self._sides[side].transport
        assert transport is not None, "start() the impairer first"
        host, port = transport.get_extra_info("sockname")[:2]
        return host, port

    async def start(self) -> UdpImpairer:
        loop = asyncio.get_running_loop()
        for name, port in (("a", self.a_port), ("b", 0)):
            side = _Side(self, name)
            await loop.create_datagram_endpoint(lambda side=side: side, local_addr=(self.host, port))  # type: ignore[misc]
            self._sides[name] = side
        self._sides["b"].peer = self.target
        return self

    def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for side in self._sides.values():
            if side.transport is not None:
                side.transport.close()

    async def __aenter__(self) -> UdpImpairer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _carry(self, from_side: str, data: bytes) -> None:
        to = self._sides["b" if from_side == "a" else "a"]
        direction = self._directions[f"{from_side}->{to.name}"]
        loop = asyncio.get_running_loop()
        at = direction.schedule(len(data), loop.time())
        if at is None:
            return
        if to.peer is None:
            direction.stats.dropped_no_peer += 1
            return
        direction.in_flight.append((at, data))
        if len(direction.in_flight) == 1:
            self._timers[direction.name] = loop.call_at(at, self._deliver, direction, to)

    def _deliver(self, direction: _Direction, to: _Side) -> None:
        """Send every datagram that is due, in order (one timer per direction keeps them in order)."""
        loop = asyncio.get_running_loop()
        queue = direction.in_flight
        while queue and queue[0][0] <= loop.time() + 0.0005:
            _, data = queue.popleft()
            if to.transport is not None and to.peer is not None and not to.transport.is_closing():
                to.transport.sendto(data, to.peer)
                direction.stats.delivered += 1
                direction.stats.bytes_delivered += len(data)
        if queue:
            self._timers[direction.name] = loop.call_at(queue[0][0], self._deliver, direction, to)


_CANDIDATE = re.compile(
    r"^(a=candidate:\S+ \d+ udp \d+ )(\S+) (\d+)( typ host.*)$", re.MULTILINE | re.IGNORECASE
)


def host_candidate(sdp: str) -> Address:
    """The first UDP host candidate of an SDP (aiortc gathers before it answers: no trickle)."""
    found = _CANDIDATE.search(sdp)
    if found is None:
        raise ValueError("the SDP has no UDP host candidate")
    return found.group(2), int(found.group(3))


def rewrite_candidates(sdp: str, address: Address) -> str:
    """``sdp`` with its UDP host candidates replaced by one at ``address`` (the relay's side that
    faces the SDP's reader), and every other candidate removed, so media can only take the relay."""
    lines = []
    seen: set[str] = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            found = _CANDIDATE.match(line)
            key = found.group(1).split()[1] if found else ""  # one candidate per ICE component
            if found is None or key in seen:
                continue
            seen.add(key)
            line = f"{found.group(1)}{address[0]} {address[1]}{found.group(4)}"
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def main() -> None:  # pragma: no cover - a command-line convenience around UdpImpairer
    parser = argparse.ArgumentParser(description="Relay UDP from --listen to --target, impaired both ways.")
    parser.add_argument("--listen", required=True, help="host:port clients send to (side a)")
    parser.add_argument("--target", required=True, help="host:port the relay forwards to (side b)")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds")
    parser.add_argument("--jitter", type=float, default=0.0, help="seconds, uniform +-")
    parser.add_argument("--rate", type=float, default=None, help="bits per second")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    thost, _, tport = args.target.rpartition(":")
    link = Impairment(loss=args.loss, delay=args.delay, jitter=args.jitter, rate_bps=args.rate)

    async def serve() -> None:
        async with UdpImpairer(link, seed=args.seed, host=host, a_port=int(port), target=(thost, int(tport))):
            await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
