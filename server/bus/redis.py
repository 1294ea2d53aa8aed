"""Redis pub/sub bus (redis.asyncio): one publishing client, one listening connection with reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.bus.base import Bus
from server.cluster.tasks import TaskFailures

log = logging.getLogger(__name__)

BACKOFF_START = 0.1
BACKOFF_MAX = 5.0
SUBSCRIBE_TIMEOUT = 5.0


class RedisBus(Bus):
    """Pub/sub on ``url``. Given ``redis`` (the process's one client, owned by the cluster) it uses
    that client's connection pool and leaves closing it to its owner; else it opens and closes its own."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "moke",
        redis: aioredis.Redis | None = None,
        node_id: str | None = None,
        failures: TaskFailures | None = None,
    ) -> None:
        super().__init__(node_id, failures)
        self.url = url
        self.prefix = f"{prefix}:bus:"
        self._owns_client = redis is None
        # named, so an operator's CLIENT LIST shows which process each connection belongs to
        self.client_name = f"moke-{self.node_id}"
        self.redis: aioredis.Redis = redis or aioredis.from_url(url, client_name=self.client_name)
        self._pubsub: aioredis.client.PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._sub_waiters: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        await self.redis.ping()  # fail fast at start-up when Redis is unreachable
        self._task = self.tasks.spawn(self._listen_loop(), name="redis-bus-listener")
        await asyncio.wait_for(self._connected.wait(), timeout=10)

    async def stop(self) -> None:
        await super().stop()  # closes the task group: the listener and any reconnect resync
        self._task = None
        if self._owns_client:
            await self.redis.aclose()

    async def publish(self, channel: str, data: bytes) -> None:
        await self.redis.publish(self.prefix + channel, data)

    async def _listen(self, channel: str) -> None:
        if self._pubsub is None:
            return  # not connected: the listener subscribes every channel when it (re)connects
        full = self.prefix + channel
        # Confirmed subscription before returning: a caller that subscribes and then reads state
        # from the database must not miss a message published in between. The waiter exists
        # before SUBSCRIBE is sent: redis-py yields while it writes, and the listener may read
        # the confirmation in that gap.
        waiter = self._sub_waiters.setdefault(full, asyncio.Event())
        try:
            await self._pubsub.subscribe(full)
            await asyncio.wait_for(waiter.wait(), timeout=SUBSCRIBE_TIMEOUT)
        except (RedisConnectionError, RedisTimeoutError):
            pass  # the connection is going: the reconnect subscribes again and resyncs listeners
        except TimeoutError:
            log.warning("redis bus: no confirmation of SUBSCRIBE %s within %.0f s", full, SUBSCRIBE_TIMEOUT)
        finally:
            if self._sub_waiters.get(full) is waiter:
                del self._sub_waiters[full]

    async def _unlisten(self, channel: str) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
                await self._pubsub.unsubscribe(self.prefix + channel)

    async def _listen_loop(self) -> None:
        backoff = BACKOFF_START
        first = True
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.ping()
                channels = [self.prefix + c for c in self._subs]
                # a dummy subscription keeps the connection in pub/sub mode with no channels yet
                await pubsub.subscribe(self.prefix + "__node__:" + self.node_id, *channels)
                self._pubsub = pubsub
                self._connected.set()
                if not first:
                    log.info("redis bus reconnected url=%s channels=%d", self.url, len(channels))
                    self.tasks.spawn(self._notify_reconnect(), name="redis-bus-resync")
                first = False
                backoff = BACKOFF_START
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                    if msg is None:
                        continue
                    kind = msg["type"]
                    chan = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
                    if kind == "subscribe":
                        ev = self._sub_waiters.get(chan)
                        if ev is not None:
                            ev.set()
                    elif kind == "message" and chan.startswith(self.prefix):
                        self._dispatch(chan[len(self.prefix) :], msg["data"])
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self._pubsub = None
                log.warning("redis bus connection lost url=%s (%s); retry in %.1fs", self.url, exc, backoff)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
