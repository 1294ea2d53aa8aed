"""Redis cluster: membership in one sorted set scored by Redis time, a lease per key with ``PX``.

This module owns the process's one Redis client (:attr:`RedisCluster.redis`); the bus, rooms' shared
state and the venue store are handed that client instead of opening their own. Deadlines are Redis
time (``TIME`` inside the scripts), so the clocks of the processes do not have to agree; Redis is also
the time authority each process's :class:`~server.clock.Clock` is corrected to on each heartbeat.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.clock import Clock
from server.cluster.base import Cluster

RETRIES = 6  # about 1.5 s of retries in all: a restart of Redis on the same host

# KEYS[1] nodes zset; ARGV: node, ttl ms. Returns {1 when the node was alive before this beat, Redis
# TIME seconds, microseconds}: the beat also sets the process's clock (server/clock.py).
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local was = 0
if old and tonumber(old) >= now then was = 1 end
return {was, t[1], t[2]}
"""
# KEYS[1] nodes zset: drop the expired, return the rest.
_MEMBERS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""
# KEYS[1] nodes zset; ARGV: nodes. Returns the alive ones.
_ALIVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive = {}
for _, node in ipairs(ARGV) do
  local s = redis.call('ZSCORE', KEYS[1], node)
  if s and tonumber(s) >= now then table.insert(alive, node) end
end
return alive
"""
# KEYS[1] lease key, KEYS[2] nodes zset; ARGV: node, ttl ms, take (1/0), as member (1/0). Take when
# free (if asked; as a member: only while the node's membership is current), renew when ours.
_CLAIM = """
local cur = redis.call('GET', KEYS[1])
local member = true
if ARGV[4] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
  member = s ~= false and s ~= nil and tonumber(s) >= now
end
if (cur == false and ARGV[3] == '1' and member) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


class RedisCluster(Cluster):
    """Several processes on one Redis; keys live under ``{prefix}:cluster:``."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "moke",
        node_id: str | None = None,
        node_ttl: float = 6.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(node_id, node_ttl=node_ttl, clock=clock)
        self.url = url
        self.p = f"{prefix}:cluster:"
        # named, so an operator's CLIENT LIST shows which process each connection belongs to
        # A command that finds its pooled connection closed (Redis restarted) is retried on a new one
        # for a moment instead of failing the request it serves.
        retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES)
        self.redis: aioredis.Redis = aioredis.from_url(
            url, client_name=f"moke-{self.node_id}", retry=retry,
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )  # fmt: skip
        self._beat_script = self.redis.register_script(_BEAT)
        self._members_script = self.redis.register_script(_MEMBERS)
        self._alive_script = self.redis.register_script(_ALIVE)
        self._claim = self.redis.register_script(_CLAIM)
        self._release = self.redis.register_script(_RELEASE)

    def redis_client(self) -> aioredis.Redis:
        return self.redis

    @property
    def _nodes(self) -> str:
        return self.p + "nodes"

    def _lease_key(self, name: str, key: str) -> str:
        return f"{self.p}lease:{name}:{key}"

    async def _connect(self) -> None:
        await self.redis.ping()  # fail fast at start-up when Redis is unreachable

    async def _disconnect(self) -> None:
        await self.redis.aclose()

    async def _beat(self, ttl: float) -> bool:
        sent = self.clock.local()
        was, secs, micros = await self._beat_script(keys=[self._nodes], args=[self.node_id, _ms(ttl)])
        self.clock.observe(int(secs) + int(micros) / 1e6, sent, self.clock.local())
        return bool(was)

    async def _leave(self) -> None:
        await self.redis.zrem(self._nodes, self.node_id)

    async def _read_members(self) -> set[str]:
        return {_text(n) for n in await self._members_script(keys=[self._nodes])}

    async def _alive(self, nodes: set[str]) -> set[str]:
        return {_text(n) for n in await self._alive_script(keys=[self._nodes], args=sorted(nodes))}

    async def _lease_claim(
        self, name: str, key: str, node: str, ttl: float, *, take: bool, as_member: bool = False
    ) -> bool:
        args = [node, _ms(ttl), "1" if take else "0", "1" if as_member else "0"]
        return bool(await self._claim(keys=[self._lease_key(name, key), self._nodes], args=args))

    async def _lease_release(self, name: str, key: str, node: str) -> None:
        await self._release(keys=[self._lease_key(name, key)], args=[node])

    async def _lease_get(self, name: str, key: str) -> tuple[str, float] | None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(self._lease_key(name, key))
        pipe.pttl(self._lease_key(name, key))
        raw, pttl = await pipe.execute()
        if raw is None or int(pttl) <= 0:
            return None
        return _text(raw), int(pttl) / 1000


def _ms(seconds: float) -> str:
    return str(max(1, int(seconds * 1000)))
