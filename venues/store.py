"""Where the controller's state lives so every process sees it: one small interface, three backends.

- :class:`MemoryProgramStore` — a dict; tests and throw-away servers.
- :class:`SqlProgramStore` — the default for one ``moke serve``: state in the database (survives a
  SIGKILL), compare-and-set as ``UPDATE … WHERE epoch = :expected``; liveness and the feed lease are
  in process, since one process owns every feed.
- :class:`RedisProgramStore` — with ``MOKE_REDIS_URL``: state, live venues and the feed-owner lease in
  Redis; compare-and-set is a Lua script, so commands arriving at any process apply in one order. A
  live venue is live *until* a deadline its process keeps pushing forward (a sorted set scored by
  Redis time), so the venues of a process that dies without a word go offline after ``ttl``.

``tests/venues/test_store.py`` runs one contract over all three.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

import redis.asyncio as aioredis
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from server.db import Database
from venues.models import ProgramRecord
from venues.state import ProgramState


class ProgramStore(ABC):
    """Controller state per room, live venues per room, and which process owns a room's program feed."""

    shared = False  # True when several processes share it (then a process can die holding a feed)

    @abstractmethod
    async def load(self, room_id: str) -> ProgramState:
        """The current state; a fresh epoch-0 state for a room never controlled."""

    @abstractmethod
    async def save(self, state: ProgramState, *, expected_epoch: int) -> bool:
        """Store ``state`` only if the stored epoch is still ``expected_epoch``; False when it is not."""

    @abstractmethod
    async def set_live(self, room_id: str, venue_id: str, live: bool, *, ttl: float = 30.0) -> None:
        """Mark a venue live (for ``ttl`` seconds unless set again: its process renews it) or offline.
        Stores whose feeds all live in one process ignore ``ttl``: that process says when it stops."""

    @abstractmethod
    async def live(self, room_id: str) -> frozenset[str]: ...

    @abstractmethod
    async def claim(self, room_id: str, node: str, ttl: float) -> bool:
        """Take or renew the lease on ``room_id``'s program feed; True when ``node`` holds it."""

    @abstractmethod
    async def owner(self, room_id: str) -> str | None: ...

    @abstractmethod
    async def release(self, room_id: str, node: str) -> None:
        """Give up the lease if ``node`` holds it."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class _LocalLiveAndLease:
    """Liveness and lease for stores whose feeds all live in this process."""

    def __init__(self) -> None:
        self._live: dict[str, set[str]] = {}
        self._leases: dict[str, tuple[str, float]] = {}

    async def set_live(self, room_id: str, venue_id: str, live: bool, *, ttl: float = 30.0) -> None:
        venues = self._live.setdefault(room_id, set())
        if live:
            venues.add(venue_id)
        else:
            venues.discard(venue_id)

    async def live(self, room_id: str) -> frozenset[str]:
        return frozenset(self._live.get(room_id, ()))

    async def claim(self, room_id: str, node: str, ttl: float) -> bool:
        held = self._leases.get(room_id)
        now = time.monotonic()
        if held is None or held[0] == node or held[1] <= now:
            self._leases[room_id] = (node, now + ttl)
            return True
        return False

    async def owner(self, room_id: str) -> str | None:
        held = self._leases.get(room_id)
        return held[0] if held is not None and held[1] > time.monotonic() else None

    async def release(self, room_id: str, node: str) -> None:
        held = self._leases.get(room_id)
        if held is not None and held[0] == node:
            del self._leases[room_id]


class MemoryProgramStore(_LocalLiveAndLease, ProgramStore):
    def __init__(self) -> None:
        super().__init__()
        self._states: dict[str, ProgramState] = {}

    async def load(self, room_id: str) -> ProgramState:
        return self._states.get(room_id) or ProgramState(room_id)

    async def save(self, state: ProgramState, *, expected_epoch: int) -> bool:
        current = self._states.get(state.room_id)
        if (current.epoch if current else 0) != expected_epoch:
            return False
        self._states[state.room_id] = state
        return True


class SqlProgramStore(_LocalLiveAndLease, ProgramStore):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def load(self, room_id: str) -> ProgramState:
        async with self.db.session() as session:
            row = await session.get(ProgramRecord, room_id)
        return ProgramState.loads(row.data) if row is not None else ProgramState(room_id)

    async def save(self, state: ProgramState, *, expected_epoch: int) -> bool:
        values = {"epoch": state.epoch, "data": state.dumps(), "updated_at": state.updated_at}
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ProgramRecord)
                .where(ProgramRecord.room_id == state.room_id, ProgramRecord.epoch == expected_epoch)
                .values(**values)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
        if expected_epoch != 0:
            return False
        try:
            async with self.db.transaction() as session:
                await session.execute(insert(ProgramRecord).values(room_id=state.room_id, **values))
        except IntegrityError:  # another writer created the row first
            return False
        return True


# KEYS[1] state hash; ARGV: expected epoch, new epoch, JSON state.
_CAS = """
local cur = redis.call('HGET', KEYS[1], 'epoch')
if (cur == false and ARGV[1] == '0') or cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'data', ARGV[3])
  return 1
end
return 0
"""
# KEYS[1] lease key; ARGV: node, ttl ms. Take when free, renew when ours.
_CLAIM = """
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# KEYS[1] live-until sorted set; ARGV: ttl ms, venue id. Scores are Redis time, so process clocks don't matter.
_LIVE_UNTIL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
"""
# KEYS[1] live-until sorted set: the venues whose deadline has not passed (expired ones are dropped).
_LIVE_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisProgramStore(ProgramStore):
    shared = True

    def __init__(self, url: str, *, prefix: str) -> None:
        self.redis: aioredis.Redis = aioredis.from_url(url)
        self.prefix = f"{prefix}:venues"
        self._cas = self.redis.register_script(_CAS)
        self._claim = self.redis.register_script(_CLAIM)
        self._release = self.redis.register_script(_RELEASE)
        self._live_until = self.redis.register_script(_LIVE_UNTIL)
        self._live_now = self.redis.register_script(_LIVE_NOW)

    def _key(self, kind: str, room_id: str) -> str:
        return f"{self.prefix}:{kind}:{room_id}"

    async def load(self, room_id: str) -> ProgramState:
        raw = await self.redis.hget(self._key("state", room_id), "data")
        return ProgramState.loads(raw) if raw is not None else ProgramState(room_id)

    async def save(self, state: ProgramState, *, expected_epoch: int) -> bool:
        args = [str(expected_epoch), str(state.epoch), state.dumps()]
        return bool(await self._cas(keys=[self._key("state", state.room_id)], args=args))

    async def set_live(self, room_id: str, venue_id: str, live: bool, *, ttl: float = 30.0) -> None:
        key = self._key("live-until", room_id)
        if live:
            await self._live_until(keys=[key], args=[str(max(1, int(ttl * 1000))), venue_id])
        else:
            await self.redis.zrem(key, venue_id)

    async def live(self, room_id: str) -> frozenset[str]:
        members = await self._live_now(keys=[self._key("live-until", room_id)])
        return frozenset(m.decode() if isinstance(m, bytes) else m for m in members)

    async def claim(self, room_id: str, node: str, ttl: float) -> bool:
        args = [node, str(max(1, int(ttl * 1000)))]
        return bool(await self._claim(keys=[self._key("owner", room_id)], args=args))

    async def owner(self, room_id: str) -> str | None:
        raw = await self.redis.get(self._key("owner", room_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def release(self, room_id: str, node: str) -> None:
        await self._release(keys=[self._key("owner", room_id)], args=[node])

    async def close(self) -> None:
        await self.redis.aclose()
