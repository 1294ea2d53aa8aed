"""The one way to run blocking work (password hashes, media checks) off the event loop: a bounded pool.

``asyncio.to_thread`` shares one default executor with everything else in the process; a burst of slow calls
queues without limit there and stalls every other user of it (``aiosqlite`` excepted, which has its own
thread). A :class:`BoundedPool` has threads of its own and admits at most ``workers + queue`` calls; the
next one is refused at once with the error ``busy()`` builds (a 429 with ``Retry-After``), so a flood costs
the flooder, not the room.

Its threads run at a lower CPU priority (``nice``, per thread on Linux, inherited by threads they start, such
as Argon2's lanes): on a small machine a storm of hashes otherwise takes the cores from the event loop
thread, and every live edit, chat line and signalling answer waits behind it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from server.errors import MokeError

R = TypeVar("R")
log = logging.getLogger(__name__)
BACKGROUND_NICE = 10
"""How much nicer than the event loop a pool thread runs (0..19 more; lowering priority needs no privilege)."""


def _lower_priority(nice: int) -> None:
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        # PRIO_PROCESS with a thread id addresses that one thread on Linux (threads are tasks).
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError as exc:  # a platform without per-thread priorities: run at the normal one
        log.debug("pool thread keeps its priority: %s", exc)


class BoundedPool:
    """``workers`` threads named ``name``; at most ``workers + queue`` calls admitted, then ``busy()``.

    The threads run ``nice`` steps below the process's priority (default :data:`BACKGROUND_NICE`)."""

    def __init__(
        self,
        name: str,
        workers: int,
        queue: int,
        busy: Callable[[], MokeError],
        *,
        nice: int = BACKGROUND_NICE,
    ) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("a pool needs at least one worker and a queue of zero or more")
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=name, initializer=_lower_priority, initargs=(nice,)
        )
        self.limit = workers + queue
        self._admitted = 0
        self._lock = threading.Lock()
        self._busy = busy

    @property
    def admitted(self) -> int:
        """Calls running or waiting for a thread now."""
        return self._admitted

    async def run(self, call: Callable[[], R], *, time_limit: float | None = None) -> R:
        """``call()`` in a pool thread. ``TimeoutError`` when it runs longer than ``time_limit`` seconds (time
        spent waiting for a thread does not count). The call keeps its place until its thread really
        returns, so a call that overruns still counts against the limit (the pool stays bounded) instead of
        being forgotten while it holds a thread; give such calls a deadline of their own to stop them."""
        with self._lock:
            if self._admitted >= self.limit:
                raise self._busy()
            self._admitted += 1
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def job() -> R:
            loop.call_soon_threadsafe(started.set)
            return call()

        try:
            future: Future[R] = self._executor.submit(job)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        waiter = asyncio.wrap_future(future)
        if time_limit is None:
            return await waiter
        starting = asyncio.ensure_future(started.wait())
        try:
            either: set[asyncio.Future[Any]] = {waiter, starting}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            waiter.cancel()  # a call still waiting for a thread is dropped; a running one finishes
            raise
        finally:
            starting.cancel()
        return await asyncio.wait_for(waiter, time_limit)

    def _release(self, _future: Future[R] | None) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
