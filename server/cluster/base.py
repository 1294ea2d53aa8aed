"""The cluster interface: which server processes (nodes) are alive, and leases among them.

Semantics every implementation keeps (and ``tests/server/test_cluster.py`` checks):
- membership: each node beats once every ``node_ttl / 3`` seconds and counts as alive until
  ``node_ttl`` after its last beat; a node that stops cleanly leaves at once. This is the one
  heartbeat of a process: presence sweeps ghosts, collab forgets silent nodes' cursors and the venue
  controller notices dead feed owners on it (``on_beat``, ``on_node_gone``, ``on_lapsed``).
- a lease of one kind (``cluster.lease(name, ttl)``) is held by at most one node per key at a time,
  until it is released or ``ttl`` passes without a renewal; the node holding it renews it every
  ``ttl / 3`` seconds while it lives (taking it back when it finds it free), and hears (``on_lost``)
  when a renewal finds another node holding it. A node takes a key it did not hold only while its own
  membership is current and settled: after Redis restarted empty, the nodes that did the work take
  their keys back first, instead of a bystander finding them free and taking them.
- a node whose own membership had lapsed (a stall, or Redis restarted empty) cannot tell yet which
  other nodes are alive: for one ``node_ttl`` after that, the nodes it saw alive before still count
  as alive (every living node beats again within that time), so nobody is cleaned up after by mistake.
- every background task of the cluster runs in a :class:`~server.cluster.tasks.TaskGroup`, so a
  failing listener is logged and counted, never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from server.clock import Clock
from server.cluster.tasks import TaskFailures, TaskGroup

log = logging.getLogger(__name__)

Listener = Callable[[], Awaitable[None]]
NodeListener = Callable[[str], Awaitable[None]]  # (node id)
KeyListener = Callable[[str], Awaitable[None]]  # (lease key)


class Lease:
    """Leases of one kind: per key, one holder node at a time until released or expired."""

    def __init__(self, cluster: Cluster, name: str, ttl: float) -> None:
        self.cluster = cluster
        self.name = name
        self.ttl = ttl
        self._held: set[str] = set()
        self._lost: list[KeyListener] = []

    @property
    def node_id(self) -> str:
        return self.cluster.node_id

    def held(self) -> frozenset[str]:
        """Keys this node holds, as far as it knows (it learns of a loss at the next renewal)."""
        return frozenset(self._held)

    def on_lost(self, listener: KeyListener) -> None:
        """Call ``listener(key)`` when a renewal finds that this node no longer holds ``key``."""
        self._lost.append(listener)

    async def acquire(self, key: str) -> bool:
        """Take ``key`` when it is free (or renew it when it is ours); True when this node holds it.

        A key this node did not hold is taken only while its membership is current and settled (see
        the module doc): False then, with nobody holding it, means "ask again in a moment"."""
        fresh = key not in self._held
        if fresh and not self.cluster.settled():
            return False
        ok = await self.cluster._lease_claim(
            self.name, key, self.node_id, self.ttl, take=True, as_member=fresh and self.cluster.started
        )
        if ok:
            self._held.add(key)
        else:
            self._held.discard(key)
        return ok

    async def renew(self, key: str) -> bool:
        """Extend ``key`` by ``ttl`` if this node holds it; False (and forgotten) when it does not."""
        ok = await self.cluster._lease_claim(self.name, key, self.node_id, self.ttl, take=False)
        if not ok:
            self._held.discard(key)
        return ok

    async def release(self, key: str) -> None:
        """Give ``key`` up if this node holds it."""
        self._held.discard(key)
        await self.cluster._lease_release(self.name, key, self.node_id)

    async def holder(self, key: str) -> str | None:
        """The node holding ``key`` now, or None."""
        found = await self.cluster._lease_get(self.name, key)
        return found[0] if found is not None else None

    async def expiry(self, key: str) -> float | None:
        """Seconds until ``key`` expires unless renewed, or None when nobody holds it."""
        found = await self.cluster._lease_get(self.name, key)
        return found[1] if found is not None else None

    async def _renew_all(self) -> None:
        for key in sorted(self._held):
            try:
                # Take a held key back when it is free: its store lost it (Redis restarted empty) or it
                # ran out in a stall and nobody took it; either way this node still does the work.
                if await self.cluster._lease_claim(self.name, key, self.node_id, self.ttl, take=True):
                    continue
                self._held.discard(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lease renewal failed lease=%s key=%s", self.name, key)
                continue  # a Redis hiccup: the next round tries again before the lease runs out
            log.warning("lease lost lease=%s key=%s node=%s", self.name, key, self.node_id)
            for listener in list(self._lost):
                self.cluster.tasks.spawn(_await(listener(key)), name=f"lease-lost:{self.name}")

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self.ttl / 3, 0.05))
            await self._renew_all()

    async def release_all(self) -> None:
        """Give up every key this node holds (a clean stop: others may take them at once)."""
        for key in list(self._held):
            try:
                await self.release(key)
            except Exception:
                log.warning("lease release failed lease=%s key=%s", self.name, key)


async def _await(aw: Awaitable[None]) -> None:
    await aw


class Cluster(ABC):
    """This process as one node of a deployment. Lifecycle: ``start()`` / ``stop()``."""

    def __init__(
        self, node_id: str | None = None, *, node_ttl: float = 6.0, clock: Clock | None = None
    ) -> None:
        self.node_id = node_id or uuid.uuid4().hex[:12]
        self.node_ttl = node_ttl
        # the one reading of "now" for stamps that order events across processes (server/clock.py);
        # a networked implementation corrects it to its time authority on each beat
        self.clock = clock or Clock()
        self.failures = TaskFailures()
        self.tasks = TaskGroup("cluster", self.failures)
        self._leases: dict[str, Lease] = {}
        self._beat_listeners: list[Listener] = []
        self._gone_listeners: list[NodeListener] = []
        self._lapsed_listeners: list[Listener] = []
        self._members: set[str] = set()
        self._started = False
        self._vouched: set[str] = set()  # nodes seen alive before our own membership lapsed
        self._vouched_until = 0.0  # monotonic: until then they count as alive (see the module doc)

    # ---- what other packages use ---------------------------------------------------------------
    def redis_client(self) -> aioredis.Redis | None:
        """The process's one Redis client when the deployment runs on Redis (owned and closed by the
        cluster: the bus, rooms' shared state and the venue store use it), else None."""
        return None

    def task_group(self, name: str) -> TaskGroup:
        """A new top-level task group whose failures count in this process's metrics."""
        return TaskGroup(name, self.failures)

    def lease(self, name: str, ttl: float) -> Lease:
        """The leases of kind ``name`` (one object per name; ``ttl`` is fixed by the first caller)."""
        lease = self._leases.get(name)
        if lease is None:
            lease = self._leases[name] = Lease(self, name, ttl)
            if self._started:
                self.tasks.spawn(lease._renew_loop(), name=f"lease:{name}")
        return lease

    def on_beat(self, listener: Listener) -> None:
        """Run ``listener`` after each heartbeat of this node (periodic housekeeping)."""
        self._beat_listeners.append(listener)

    def on_node_gone(self, listener: NodeListener) -> None:
        """Call ``listener(node)`` when a node this one saw alive is no longer alive."""
        self._gone_listeners.append(listener)

    def on_lapsed(self, listener: Listener) -> None:
        """Call ``listener()`` when this node's own membership had expired (a stall longer than the
        TTL): other nodes may have cleaned up after it as if it were dead."""
        self._lapsed_listeners.append(listener)

    async def alive(self, nodes: Iterable[str]) -> set[str]:
        """Those of ``nodes`` that are alive now."""
        wanted = set(nodes)
        return (await self._alive(wanted) | (wanted & self._still_vouched())) if wanted else set()

    async def members(self) -> set[str]:
        """Every node alive now (this one included once started)."""
        return await self._read_members() | self._still_vouched()

    @property
    def started(self) -> bool:
        return self._started

    def settled(self) -> bool:
        """False for one ``node_ttl`` after this node's membership lapsed: what the backend holds of the
        others (memberships, leases, what they registered) may be gone until they have beaten and renewed
        again, so absence proves no death yet. Housekeeping that would clean up after a dead node waits."""
        return not self._still_vouched()

    def _still_vouched(self) -> set[str]:
        if self._vouched and time.monotonic() >= self._vouched_until:
            self._vouched = set()
        return self._vouched

    # ---- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._connect()
        await self._beat(self.node_ttl)
        self._members = await self._read_members()
        self._started = True
        self.tasks.spawn(self._heartbeat_loop(), name="cluster-heartbeat")
        for lease in self._leases.values():
            self.tasks.spawn(lease._renew_loop(), name=f"lease:{lease.name}")

    async def stop(self) -> None:
        await self.tasks.close()
        for lease in self._leases.values():
            await lease.release_all()
        if self._started:
            try:
                await self._leave()
            except Exception:
                log.warning("cluster leave failed node=%s", self.node_id)
        self._started = False
        await self._disconnect()

    async def beat(self) -> None:
        """One heartbeat: stay alive, notice a lapse of our own and nodes that are gone, run listeners."""
        await self._stay_alive()
        members = await self.members()
        gone = self._members - members - {self.node_id}
        self._members = members
        for node in sorted(gone):
            log.info("cluster node gone node=%s seen_by=%s", node, self.node_id)
            for gone_listener in list(self._gone_listeners):
                await self._call(gone_listener(node), "node-gone")
        for beat_listener in list(self._beat_listeners):
            await self._call(beat_listener(), "beat")

    async def _stay_alive(self) -> None:
        if not await self._beat(self.node_ttl):
            log.warning("cluster membership had lapsed node=%s", self.node_id)
            # what the backend says of the others may be as stale as what it said of us: vouch for the
            # nodes seen alive until each had the time to beat again
            self._vouched = self._members - {self.node_id}
            self._vouched_until = time.monotonic() + self.node_ttl
            for listener in list(self._lapsed_listeners):
                await self._call(listener(), "lapsed")

    async def _heartbeat_loop(self) -> None:
        running: asyncio.Task[None] | None = None
        while True:
            await asyncio.sleep(max(self.node_ttl / 3, 0.05))
            if running is None or running.done():
                running = self.tasks.spawn(self.beat(), name="cluster-beat")  # a failure is logged, counted
                continue
            # The listeners of the last beat are still at work (a slow database, many rooms): keep
            # this node alive without waiting for them, so slow housekeeping never looks like a death.
            try:
                await self._stay_alive()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures.add("cluster/heartbeat")
                log.exception("cluster heartbeat failed node=%s", self.node_id)

    async def _call(self, aw: Awaitable[None], what: str) -> None:
        try:
            await aw
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failures.add(f"cluster/{what}")
            log.exception("cluster %s listener failed node=%s", what, self.node_id)

    # ---- what an implementation provides -------------------------------------------------------
    async def _connect(self) -> None:  # noqa: B027 - optional hook
        """Open connections (fail fast when the backend is unreachable)."""

    async def _disconnect(self) -> None:  # noqa: B027 - optional hook
        """Close connections."""

    @abstractmethod
    async def _beat(self, ttl: float) -> bool:
        """Mark this node alive for ``ttl`` seconds; False when it was not alive (new or lapsed)."""

    @abstractmethod
    async def _leave(self) -> None: ...

    @abstractmethod
    async def _read_members(self) -> set[str]: ...

    @abstractmethod
    async def _alive(self, nodes: set[str]) -> set[str]: ...

    @abstractmethod
    async def _lease_claim(
        self, name: str, key: str, node: str, ttl: float, *, take: bool, as_member: bool = False
    ) -> bool:
        """Set ``node`` as holder for ``ttl`` when it holds it already, or (``take``) when it is free
        and (``as_member``) ``node``'s membership is current: one that is missing means the backend
        lost its state (Redis restarted empty) and the node that held the key has not taken it back."""

    @abstractmethod
    async def _lease_release(self, name: str, key: str, node: str) -> None: ...

    @abstractmethod
    async def _lease_get(self, name: str, key: str) -> tuple[str, float] | None:
        """(holder, seconds left) or None."""

    async def __aenter__(self) -> Cluster:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
