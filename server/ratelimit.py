"""Every rate limit of Moke, in one module: three tools for three kinds of limit.

* :class:`RateLimits`: named limits that must hold across connections and processes (invite-code
  guessing and log-in attempts per address, chat per user, Socket.IO events per user). The ``limits``
  library counts them, in this process's memory on one process and in Redis (the cluster's client, so no
  second connection pool) when the deployment runs on Redis, so every process counts together.
* :class:`TokenBucket`: per-connection guards on the hot path (each Socket.IO connection and event, each
  collab message): no await, no network.
* :class:`ConnectionCaps`: how many connections one user, and one token, may hold open at once.

Two windows of the library: a **moving** window (the default) is exact — at most ``amount`` hits in any
``seconds`` — for the limits people meet (invites, log-ins, chat), whose refusals must be predictable. A
**sliding** window counter (``Limit(..., sliding=True)``) approximates across its boundary (about one hit
more) but keeps two counters per key instead of one timestamp per hit: for the per-user event limits, which
every Socket.IO event pays. In memory the two get separate storages, because the library's memory storage
expires moving-window timestamps through one thread hop per key on every pass, which the hot path must not
trigger.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError

from server.errors import RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """``amount`` hits per ``seconds`` (whole seconds) under ``name``; keys are given when counting.
    ``sliding``: the cheap approximate window (hot paths) instead of the exact moving one."""

    name: str
    amount: int
    seconds: int = 1
    sliding: bool = False

    def __post_init__(self) -> None:
        if self.amount < 1 or self.seconds < 1:
            raise ValueError(f"limit {self.name}: amount and seconds must be at least 1")

    @property
    def item(self) -> RateLimitItemPerSecond:
        # The amount and window are part of the library's key: a changed setting starts a fresh count.
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.name)


class RateLimits:
    """Named limits on one storage (memory or Redis): ``hit`` spends, ``test`` only looks.

    A storage that cannot be reached (Redis restarting) admits and logs: a limit must not take chat and
    log-in down with it, and the counts resume with the storage."""

    QUIET = 10.0  # seconds between two warnings about one limit's storage: every event would log one

    def __init__(self, storage: Storage, hot: Storage | None = None) -> None:
        self.storage = storage
        self._warned: dict[str, float] = {}
        self._moving = MovingWindowRateLimiter(storage)
        self._sliding = SlidingWindowCounterRateLimiter(hot if hot is not None else storage)

    @classmethod
    def in_memory(cls) -> RateLimits:
        return cls(MemoryStorage(), hot=MemoryStorage())

    @classmethod
    def on_redis(cls, client: aioredis.Redis, prefix: str) -> RateLimits:
        """Count in Redis under ``{prefix}:limits:`` through ``client``'s connection pool (its owner closes it)."""
        # The library passes unknown options on to redis.asyncio.Redis; its annotation knows only scalars.
        pool: Any = client.connection_pool
        storage = RedisStorage(
            "async+redis://", implementation="redispy", key_prefix=f"{prefix}:limits",
            wrap_exceptions=True, connection_pool=pool,
        )  # fmt: skip
        return cls(storage)

    def _limiter(self, limit: Limit) -> RateLimiter:
        return self._sliding if limit.sliding else self._moving

    async def hit(self, limit: Limit, *key: str) -> bool:
        """Count one hit under ``key``; False (and nothing counted) when the limit is already reached."""
        try:
            return await self._limiter(limit).hit(limit.item, *key)
        except StorageError as exc:
            self._unavailable(limit, exc)
            return True

    async def test(self, limit: Limit, *key: str) -> bool:
        """True when one more hit under ``key`` would be allowed; counts nothing."""
        try:
            return await self._limiter(limit).test(limit.item, *key)
        except StorageError as exc:
            self._unavailable(limit, exc)
            return True

    def _unavailable(self, limit: Limit, exc: StorageError) -> None:
        now = time.monotonic()
        if now >= self._warned.get(limit.name, 0.0):
            self._warned[limit.name] = now + self.QUIET
            log.warning("rate limit %s admits: its storage is unavailable: %s", limit.name, exc)

    async def retry_after(self, limit: Limit, *key: str) -> int:
        """Whole seconds (at least 1) until ``key`` may hit again, for ``Retry-After``."""
        try:
            stats = await self._limiter(limit).get_window_stats(limit.item, *key)
        except StorageError:
            return limit.seconds
        return max(1, min(limit.seconds * 2, math.ceil(stats.reset_time - time.time())))

    async def enforce(self, limit: Limit, *key: str, code: str, message: str, spend: bool = True) -> None:
        """Raise :class:`RateLimited` (429 with ``Retry-After``) when ``key`` is over ``limit``.

        ``spend=False`` only looks: for limits that count failures, checked before the attempt and
        spent (:meth:`hit`) only when it fails."""
        allowed = await (self.hit(limit, *key) if spend else self.test(limit, *key))
        if not allowed:
            raise RateLimited(message, code=code, retry_after=await self.retry_after(limit, *key))


def create_limits(client: aioredis.Redis | None, prefix: str) -> RateLimits:
    """On the cluster's Redis client when the deployment runs on Redis, else in this process."""
    return RateLimits.on_redis(client, prefix) if client is not None else RateLimits.in_memory()


class TokenBucket:
    """``rate`` per second with a burst of ``burst`` (by default one second's worth); starts full."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0 or (burst is not None and burst < 1):
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else rate)
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def tokens_now(self) -> float:
        """Tokens available now (refilled, nothing spent)."""
        return min(self.burst, self.tokens + (time.monotonic() - self.stamp) * self.rate)

    def take(self, n: int = 1) -> bool:
        """Spend ``n`` tokens if there are that many; ``False`` (and nothing spent) otherwise."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < n:
            return False
        self.tokens -= n
        return True


def token_key(token: str | None) -> str:
    """A short digest naming a bearer token (the token itself is not kept)."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:24]


K = TypeVar("K")


def _release(counts: dict[K, int], key: K) -> None:
    left = counts.pop(key, 0) - 1
    if left > 0:  # a key whose last connection closed is not kept
        counts[key] = left


class ConnectionCaps:
    """Connections of one kind (``what``: Socket.IO, collab) open at once in this process, per user and per
    token. :meth:`open` refuses with :class:`RateLimited` ``too_many_connections`` beyond either cap;
    :meth:`close` forgets a connection (again is harmless)."""

    def __init__(self, what: str, per_user: int, per_token: int) -> None:
        if per_user < 1 or per_token < 1:
            raise ValueError("connection caps must be at least 1")
        self.what = what
        self.per_user = per_user
        self.per_token = per_token
        self._open: dict[str, tuple[int, str]] = {}  # connection -> (user, token key)
        self._users: dict[int, int] = {}
        self._tokens: dict[str, int] = {}

    def open(self, conn: str, user_id: int, token: str | None) -> None:
        if conn in self._open:
            return
        tkey = token_key(token)
        if self._tokens.get(tkey, 0) >= self.per_token:
            raise RateLimited(
                f"this token already holds {self.per_token} {self.what} connections; close one first",
                code="too_many_connections", retry_after=5,
            )  # fmt: skip
        if self._users.get(user_id, 0) >= self.per_user:
            raise RateLimited(
                f"this account already holds {self.per_user} {self.what} connections; close one first",
                code="too_many_connections", retry_after=5,
            )  # fmt: skip
        self._open[conn] = (user_id, tkey)
        self._users[user_id] = self._users.get(user_id, 0) + 1
        self._tokens[tkey] = self._tokens.get(tkey, 0) + 1

    def close(self, conn: str) -> None:
        held = self._open.pop(conn, None)
        if held is None:
            return
        user_id, tkey = held
        _release(self._users, user_id)
        _release(self._tokens, tkey)

    def of_user(self, user_id: int) -> int:
        return self._users.get(user_id, 0)

    def __len__(self) -> int:
        return len(self._open)
