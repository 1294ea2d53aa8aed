"""In-process cluster: the embedded default, where this process is the only node.

Several :class:`MemoryCluster` nodes may share one :class:`MemoryNetwork` (tests run two "processes"
in one), so the in-process implementation keeps the same contract as the Redis one.
"""

from __future__ import annotations

import time

from server.clock import Clock
from server.cluster.base import Cluster


class MemoryNetwork:
    """What the nodes of one in-process deployment share: membership deadlines and leases."""

    def __init__(self) -> None:
        self.nodes: dict[str, float] = {}  # node -> monotonic deadline
        self.leases: dict[tuple[str, str], tuple[str, float]] = {}  # (name, key) -> (node, deadline)


class MemoryCluster(Cluster):
    def __init__(
        self,
        node_id: str | None = None,
        *,
        node_ttl: float = 6.0,
        network: MemoryNetwork | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(node_id, node_ttl=node_ttl, clock=clock)
        self.network = network if network is not None else MemoryNetwork()

    async def _beat(self, ttl: float) -> bool:
        now = time.monotonic()
        was_alive = self.network.nodes.get(self.node_id, 0.0) >= now
        self.network.nodes[self.node_id] = now + ttl
        return was_alive

    async def _leave(self) -> None:
        self.network.nodes.pop(self.node_id, None)

    async def _read_members(self) -> set[str]:
        now = time.monotonic()
        for node in [n for n, t in self.network.nodes.items() if t < now]:
            del self.network.nodes[node]
        return set(self.network.nodes)

    async def _alive(self, nodes: set[str]) -> set[str]:
        now = time.monotonic()
        return {n for n in nodes if self.network.nodes.get(n, 0.0) >= now}

    async def _lease_claim(
        self, name: str, key: str, node: str, ttl: float, *, take: bool, as_member: bool = False
    ) -> bool:
        now = time.monotonic()
        held = self.network.leases.get((name, key))
        free = held is None or held[1] <= now
        member = not as_member or self.network.nodes.get(node, 0.0) >= now
        if (free and take and member) or (held is not None and not free and held[0] == node):
            self.network.leases[(name, key)] = (node, now + ttl)
            return True
        return False

    async def _lease_release(self, name: str, key: str, node: str) -> None:
        held = self.network.leases.get((name, key))
        if held is not None and held[0] == node:
            del self.network.leases[(name, key)]

    async def _lease_get(self, name: str, key: str) -> tuple[str, float] | None:
        held = self.network.leases.get((name, key))
        if held is None:
            return None
        left = held[1] - time.monotonic()
        if left <= 0:
            del self.network.leases[(name, key)]
            return None
        return held[0], left
