"""Task groups: the one way a long-lived or fire-and-forget task is started in Moke.

A :class:`TaskGroup` keeps a strong reference to each task it starts (asyncio only keeps weak ones),
logs a task that fails with its group's name, counts the failure in :class:`TaskFailures` (exposed in
``/metrics`` as ``moke_task_failures_total{group=…}``) and cancels what is left on :meth:`TaskGroup.close`.
A child group shares its parent's counter and is closed with it, so a short-lived owner (a peer
connection, a media source) can cancel its own tasks while its failures still reach the process's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Coroutine, Iterator
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskFailures(Collector):
    """Failed tasks per group name, for one process (a Prometheus collector)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, group: str) -> None:
        self.counts[group] = self.counts.get(group, 0) + 1

    def total(self) -> int:
        return sum(self.counts.values())

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "moke_task_failures", "background tasks that ended with an exception", labels=["group"]
        )
        for group, n in sorted(self.counts.items()):
            family.add_metric([group], n)
        yield family

    def register(self, registry: CollectorRegistry) -> None:
        registry.register(self)


class TaskGroup:
    """Owns tasks: keeps them referenced, logs and counts failures, cancels the rest on ``close``."""

    def __init__(self, name: str, failures: TaskFailures | None = None) -> None:
        self.name = name
        self.failures = failures if failures is not None else TaskFailures()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._children: set[TaskGroup] = set()
        self._parent: TaskGroup | None = None
        self.closed = False

    def child(self, name: str) -> TaskGroup:
        """A group of its own (closed on its own or with this one) counting into the same failures."""
        group = TaskGroup(f"{self.name}/{name}", self.failures)
        group._parent = self
        self._children.add(group)
        return group

    def spawn(self, aw: Awaitable[T], name: str | None = None) -> asyncio.Task[T]:
        """Start ``aw`` (a coroutine, or any awaitable) as a task of this group."""
        coro: Coroutine[Any, Any, T] = aw if asyncio.iscoroutine(aw) else _wrap(aw)
        if self.closed:
            coro.close()
            raise RuntimeError(f"task group {self.name} is closed")
        task = asyncio.get_running_loop().create_task(coro, name=name or self.name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        if task not in self._tasks:
            return  # already accounted for (by ``close``)
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures.add(self.name)
            log.error("task %s of group %s failed", task.get_name(), self.name, exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    def cancel(self) -> None:
        """Close the group now without waiting (for owners that end synchronously): cancel every task
        of it and its children; ``close`` does the same and waits until they have ended."""
        self.closed = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for group in list(self._children):
            group.cancel()
        self._detach()

    def _detach(self) -> None:
        if self._parent is not None:
            self._parent._children.discard(self)
            self._parent = None

    async def close(self) -> None:
        """Cancel every task of this group and its children and wait until they have ended."""
        self.closed = True
        for group in list(self._children):
            await group.close()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self._done(task)  # now, not on the next loop turn: a closed group holds no task
        self._detach()


async def _wrap(aw: Awaitable[T]) -> T:
    return await aw
