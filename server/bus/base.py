"""The message-bus interface.

Semantics every implementation keeps (and ``tests/server/test_bus.py`` checks):
- a message published on a channel reaches every subscription of that channel, in every
  process, including subscriptions in the publishing process;
- per channel and publisher, messages arrive in the order they were published;
- a handler runs in its subscription's own task; a failing handler is logged and does not
  stop delivery to it or to anyone else;
- delivery is at-most-once (pub/sub): while a Redis connection is down messages are lost,
  so listeners registered with ``on_reconnect`` are called after each reconnect to resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from server.cluster.tasks import TaskFailures, TaskGroup

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]
ReconnectListener = Callable[[], Awaitable[None]]


class Subscription:
    """One handler on one channel, with its own queue and delivery task."""

    def __init__(self, bus: Bus, channel: str, handler: Handler, maxsize: int = 10_000) -> None:
        self.bus = bus
        self.channel = channel
        self._handler = handler
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize)
        self._task = bus.tasks.spawn(self._run(), name=f"bus-sub:{channel}")
        self.closed = False

    def deliver(self, data: bytes) -> None:
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            log.warning("bus subscription queue full channel=%s; message dropped", self.channel)

    async def _run(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                await self._handler(self.channel, data)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus handler failed channel=%s", self.channel)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.bus._unsubscribe(self)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class Bus(ABC):
    """Publish bytes on a channel; subscribe a handler to a channel. Lifecycle: ``async with`` or start/stop."""

    def __init__(self, node_id: str | None = None, failures: TaskFailures | None = None) -> None:
        self.node_id = node_id or uuid.uuid4().hex[:12]  # lets a process recognise its own messages
        self.tasks = TaskGroup("bus", failures)
        self._subs: dict[str, set[Subscription]] = {}
        self._reconnect_listeners: list[ReconnectListener] = []

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    async def subscribe(self, channel: str, handler: Handler) -> Subscription:
        sub = Subscription(self, channel, handler)
        first = channel not in self._subs
        self._subs.setdefault(channel, set()).add(sub)
        if first:
            await self._listen(channel)
        return sub

    def on_reconnect(self, listener: ReconnectListener) -> None:
        self._reconnect_listeners.append(listener)

    async def stop(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                await sub.close()
        await self.tasks.close()

    async def _unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.channel)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._subs[sub.channel]
            await self._unlisten(sub.channel)

    def _dispatch(self, channel: str, data: bytes) -> None:
        for sub in tuple(self._subs.get(channel, ())):
            sub.deliver(data)

    async def _notify_reconnect(self) -> None:
        for listener in list(self._reconnect_listeners):
            try:
                await listener()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus reconnect listener failed")

    async def _listen(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Start receiving ``channel`` from the network (no-op in process)."""

    async def _unlisten(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Stop receiving ``channel`` from the network (no-op in process)."""

    async def __aenter__(self) -> Bus:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
