"""Where the controller's state lives so every process sees it: one small interface, three backends.

- :class:`MemoryProgramStore` — a dict; tests and throw-away servers.
- :class:`SqlProgramStore` — the default for one ``moke serve``: state in the database (survives a
  SIGKILL), compare-and-set as ``UPDATE … WHERE epoch = :expected``; liveness is in process, since one
  process carries every feed.
- :class:`RedisProgramStore` — with ``MOKE_REDIS_URL``: the state stays in the database (the same
  compare-and-set: a row lock orders concurrent writers, so commands arriving at any process apply in
  one order), because Redis keeps nothing across its own restart; the live venues are in Redis, each
  tagged with the process its publisher feeds, and count as live while that process is alive in the
  cluster (``server.cluster``'s one heartbeat), so the venues of a process that dies without a word go
  offline with it. When Redis lost them (a restart) each process's controller puts its own back
  (the cluster's ``on_lapsed``).

Which process carries a room's program feed is not kept here: it is the room's media home, a lease
the media router holds (``media.routing``).

``tests/venues/test_store.py`` runs one contract over all three.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from server.db import Database
from venues.models import ProgramRecord
from venues.state import ProgramState

Alive = Callable[[set[str]], Awaitable[set[str]]]  # (node ids) -> those alive now: ``Cluster.alive``


class ProgramStore(ABC):
    """Controller state per room and the live venues of each room."""

    shared = False  # True when several processes share it (then a process can die holding a feed)

    @abstractmethod
    async def load(self, room_id: str) -> ProgramState:
        """The current state; a fresh epoch-0 state for a room never controlled."""

    @abstractmethod
    async def save(self, state: ProgramState, *, expected_epoch: int) -> bool:
        """Store ``state`` only if the stored epoch is still ``expected_epoch``; False when it is not."""

    @abstractmethod
    async def set_live(self, room_id: str, venue_id: str, live: bool, *, node: str = "") -> None:
        """Mark a venue live (its publisher feeds process ``node``) or offline."""

    @abstractmethod
    async def live(self, room_id: str, alive: Alive) -> frozenset[str]:
        """The room's live venues whose process is ``alive``. Stores whose feeds all live in one
        process ignore both ``node`` and ``alive``: that process says when a venue stops."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class _LocalLive:
    """Liveness for stores whose feeds all live in this process."""

    def __init__(self) -> None:
        self._live: dict[str, set[str]] = {}

    async def set_live(self, room_id: str, venue_id: str, live: bool, *, node: str = "") -> None:
        venues = self._live.setdefault(room_id, set())
        if live:
            venues.add(venue_id)
        else:
            venues.discard(venue_id)

    async def live(self, room_id: str, alive: Alive) -> frozenset[str]:
        return frozenset(self._live.get(room_id, ()))


class MemoryProgramStore(_LocalLive, ProgramStore):
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


class _SqlState:
    """The state in the database, compare-and-set on the epoch."""

    def __init__(self, db: Database) -> None:
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


class SqlProgramStore(_LocalLive, _SqlState, ProgramStore):
    def __init__(self, db: Database) -> None:
        _LocalLive.__init__(self)
        _SqlState.__init__(self, db)


class RedisProgramStore(_SqlState, ProgramStore):
    shared = True

    def __init__(self, redis: str | aioredis.Redis, db: Database, *, prefix: str) -> None:
        """Given a client (the process's one, owned by the cluster) it leaves closing it to its owner;
        given a URL it opens its own."""
        super().__init__(db)
        self._owns_client = isinstance(redis, str)
        self.redis: aioredis.Redis = aioredis.from_url(redis) if isinstance(redis, str) else redis
        self.prefix = f"{prefix}:venues"

    def _key(self, kind: str, room_id: str) -> str:
        return f"{self.prefix}:{kind}:{room_id}"

    async def set_live(self, room_id: str, venue_id: str, live: bool, *, node: str = "") -> None:
        key = self._key("live", room_id)
        if live:
            await self.redis.hset(key, venue_id, node)
        else:
            await self.redis.hdel(key, venue_id)

    async def live(self, room_id: str, alive: Alive) -> frozenset[str]:
        raw: dict[Any, Any] = await self.redis.hgetall(self._key("live", room_id))
        by_node = {_text(venue): _text(node) for venue, node in raw.items()}
        living = await alive(set(by_node.values())) if by_node else set()
        return frozenset(venue for venue, node in by_node.items() if node in living)

    async def close(self) -> None:
        if self._owns_client:
            await self.redis.aclose()


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
