"""State every process must agree on: presence, raised hands and seats (rate limits: ``server.ratelimit``).

One small interface, two real implementations — :class:`MemoryShared` for one process and
:class:`RedisShared` for several (``tests/rooms/test_shared.py`` runs one contract over both).

Presence entries are keyed by connection (sid) and tagged with the node that holds the
connection. :meth:`SharedState.sweep` drops the entries of nodes the cluster no longer counts alive
(``server.cluster``: one heartbeat per process), so a killed process leaves no ghost members.
:meth:`SharedState.snapshot` reads a room's presence, hands and seats at once and numbers the reading
(``rev``, per room, increasing): a later reading has a higher number, whichever process took it.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from server.cluster import Cluster

Entry = dict[str, Any]
Alive = Callable[[set[str]], Awaitable[set[str]]]  # (node ids) -> those alive now: ``Cluster.alive``


@dataclass
class Snapshot:
    """One consistent reading of a room: ``rev`` orders readings across processes."""

    rev: int
    entries: dict[str, Entry]  # sid -> entry (with ``node``)
    hands: list[int]
    seats: list[int]


class SharedState(ABC):
    """Presence, hands and seats shared by every process of one deployment."""

    @abstractmethod
    async def presence_put(self, room_id: str, sid: str, node_id: str, entry: Entry) -> None: ...

    @abstractmethod
    async def presence_remove(self, room_id: str, sid: str) -> Entry | None:
        """Remove one connection; returns its entry (None when it was not there)."""

    @abstractmethod
    async def presence(self, room_id: str) -> dict[str, Entry]:
        """Every live connection in the room: sid -> entry (entry carries ``node``)."""

    @abstractmethod
    async def snapshot(self, room_id: str) -> Snapshot:
        """Presence, hands and seats of the room read at once, numbered after every earlier reading."""

    @abstractmethod
    async def sweep(self, alive: Alive) -> dict[str, list[Entry]]:
        """Remove the entries of nodes that are not ``alive``; returns room_id -> removed entries."""

    @abstractmethod
    async def hand_raise(self, room_id: str, user_id: int) -> None: ...

    @abstractmethod
    async def hand_lower(self, room_id: str, user_id: int) -> bool: ...

    @abstractmethod
    async def hands(self, room_id: str) -> list[int]:
        """Users with a raised hand, in the order they raised it."""

    @abstractmethod
    async def seat_grant(self, room_id: str, user_id: int, limit: int) -> bool:
        """Atomically give ``user_id`` a seat unless ``limit`` seats are taken (True if held after)."""

    @abstractmethod
    async def seat_revoke(self, room_id: str, user_id: int) -> bool: ...

    @abstractmethod
    async def seats(self, room_id: str) -> list[int]: ...

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class MemoryShared(SharedState):
    """One process: plain dicts (no await between check and change, so each call is atomic)."""

    def __init__(self) -> None:
        self._presence: dict[str, dict[str, Entry]] = {}
        self._hands: dict[str, dict[int, float]] = {}
        self._seats: dict[str, dict[int, float]] = {}
        self._revs: dict[str, int] = {}

    async def presence_put(self, room_id: str, sid: str, node_id: str, entry: Entry) -> None:
        self._presence.setdefault(room_id, {})[sid] = {**entry, "node": node_id}

    async def presence_remove(self, room_id: str, sid: str) -> Entry | None:
        room = self._presence.get(room_id, {})
        entry = room.pop(sid, None)
        if not room:
            self._presence.pop(room_id, None)
        return entry

    async def presence(self, room_id: str) -> dict[str, Entry]:
        return dict(self._presence.get(room_id, {}))

    async def snapshot(self, room_id: str) -> Snapshot:
        rev = self._revs[room_id] = self._revs.get(room_id, 0) + 1
        return Snapshot(
            rev, await self.presence(room_id), await self.hands(room_id), await self.seats(room_id)
        )

    async def sweep(self, alive: Alive) -> dict[str, list[Entry]]:
        nodes = {e["node"] for entries in self._presence.values() for e in entries.values()}
        living = await alive(nodes)
        removed: dict[str, list[Entry]] = {}
        for room_id, entries in list(self._presence.items()):
            for sid, entry in list(entries.items()):
                if entry["node"] not in living:
                    removed.setdefault(room_id, []).append(entries.pop(sid))
            if not entries:
                del self._presence[room_id]
        return removed

    async def hand_raise(self, room_id: str, user_id: int) -> None:
        self._hands.setdefault(room_id, {}).setdefault(user_id, time.time())

    async def hand_lower(self, room_id: str, user_id: int) -> bool:
        return self._hands.get(room_id, {}).pop(user_id, None) is not None

    async def hands(self, room_id: str) -> list[int]:
        hands = self._hands.get(room_id, {})
        return sorted(hands, key=lambda u: hands[u])

    async def seat_grant(self, room_id: str, user_id: int, limit: int) -> bool:
        seats = self._seats.setdefault(room_id, {})
        if user_id in seats:
            return True
        if len(seats) >= limit:
            return False
        seats[user_id] = time.time()
        self._hands.get(room_id, {}).pop(user_id, None)
        return True

    async def seat_revoke(self, room_id: str, user_id: int) -> bool:
        return self._seats.get(room_id, {}).pop(user_id, None) is not None

    async def seats(self, room_id: str) -> list[int]:
        seats = self._seats.get(room_id, {})
        return sorted(seats, key=lambda u: seats[u])


# KEYS: seats zset, hands zset; ARGV: user, limit, now. Check and add in one script: the seat
# limit holds however many processes grant at once.
_GRANT = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


# KEYS[1] rev counter. The next number of a room's readings: one more than the last, and never below
# Redis TIME in microseconds, so the numbers keep rising when Redis restarts empty (clients that hold
# a line from before would ignore a delta numbered from 1 again). Exact in a double until 2255.
_NEXT_REV = """
local t = redis.call('TIME')
local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rev = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, floor)
redis.call('SET', KEYS[1], string.format('%d', rev))
return string.format('%d', rev)
"""


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


class RedisShared(SharedState):
    """Several processes on one Redis. Keys live under ``{prefix}:rooms:``. Given a client (the
    process's one, owned by the cluster) it leaves closing it to its owner; given a URL it opens its own."""

    def __init__(self, redis: str | aioredis.Redis, prefix: str) -> None:
        self._owns_client = isinstance(redis, str)
        self.redis: aioredis.Redis = aioredis.from_url(redis) if isinstance(redis, str) else redis
        self.p = f"{prefix}:rooms:"
        self._grant = self.redis.register_script(_GRANT)
        self._next_rev = self.redis.register_script(_NEXT_REV)

    async def presence_put(self, room_id: str, sid: str, node_id: str, entry: Entry) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.p + "presence:" + room_id, sid, json.dumps({**entry, "node": node_id}))
        pipe.sadd(self.p + "presence_rooms", room_id)
        await pipe.execute()

    async def presence_remove(self, room_id: str, sid: str) -> Entry | None:
        key = self.p + "presence:" + room_id
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, sid)
        pipe.hdel(key, sid)
        raw, deleted = await pipe.execute()
        return json.loads(raw) if raw and deleted else None

    async def presence(self, room_id: str) -> dict[str, Entry]:
        raw: Any = await self.redis.hgetall(self.p + "presence:" + room_id)
        return {_text(sid): json.loads(v) for sid, v in raw.items()}

    async def snapshot(self, room_id: str) -> Snapshot:
        pipe = self.redis.pipeline(transaction=True)  # MULTI/EXEC: the number and the reading go together
        await self._next_rev(keys=[self.p + "presence_rev:" + room_id], client=pipe)  # queued in the MULTI
        pipe.hgetall(self.p + "presence:" + room_id)
        pipe.zrange(self.p + "hands:" + room_id, 0, -1)
        pipe.zrange(self.p + "seats:" + room_id, 0, -1)
        rev, raw, hands, seats = await pipe.execute()
        return Snapshot(
            int(rev),
            {_text(sid): json.loads(v) for sid, v in raw.items()},
            [int(u) for u in hands],
            [int(u) for u in seats],
        )

    async def sweep(self, alive: Alive) -> dict[str, list[Entry]]:
        removed: dict[str, list[Entry]] = {}
        living: dict[str, bool] = {}
        rooms: Any = await self.redis.smembers(self.p + "presence_rooms")
        for room_id in map(_text, rooms):
            key = self.p + "presence:" + room_id
            entries = await self.presence(room_id)
            if not entries:
                await self.redis.srem(self.p + "presence_rooms", room_id)
                continue
            unknown = {e["node"] for e in entries.values()} - living.keys()
            if unknown:
                found = await alive(unknown)
                living.update({node: node in found for node in unknown})
            for sid, entry in entries.items():
                # HDEL's count makes exactly one sweeping process report each removal.
                if not living[entry["node"]] and await self.redis.hdel(key, sid):
                    removed.setdefault(room_id, []).append(entry)
        return removed

    async def hand_raise(self, room_id: str, user_id: int) -> None:
        await self.redis.zadd(self.p + "hands:" + room_id, {str(user_id): time.time()}, nx=True)

    async def hand_lower(self, room_id: str, user_id: int) -> bool:
        return bool(await self.redis.zrem(self.p + "hands:" + room_id, str(user_id)))

    async def hands(self, room_id: str) -> list[int]:
        users: Any = await self.redis.zrange(self.p + "hands:" + room_id, 0, -1)
        return [int(u) for u in users]

    async def seat_grant(self, room_id: str, user_id: int, limit: int) -> bool:
        ok = await self._grant(
            keys=[self.p + "seats:" + room_id, self.p + "hands:" + room_id],
            args=[str(user_id), limit, time.time()],
        )
        return bool(ok)

    async def seat_revoke(self, room_id: str, user_id: int) -> bool:
        return bool(await self.redis.zrem(self.p + "seats:" + room_id, str(user_id)))

    async def seats(self, room_id: str) -> list[int]:
        users: Any = await self.redis.zrange(self.p + "seats:" + room_id, 0, -1)
        return [int(u) for u in users]

    async def close(self) -> None:
        if self._owns_client:
            await self.redis.aclose()


def create_shared(cluster: Cluster, prefix: str) -> SharedState:
    """Redis shared state on the cluster's Redis client when the cluster runs on Redis, else in process."""
    client = cluster.redis_client()
    return RedisShared(client, prefix) if client is not None else MemoryShared()
