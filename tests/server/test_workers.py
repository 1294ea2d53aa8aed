"""The bounded pool: its own threads, a hard admission limit, time limits that keep the pool honest."""

from __future__ import annotations

import asyncio
import threading

import pytest

from server.errors import RateLimited
from server.workers import BoundedPool


def busy() -> RateLimited:
    return RateLimited("busy", code="test_busy", retry_after=1)


async def test_admits_workers_plus_queue_then_refuses_at_once() -> None:
    pool = BoundedPool("test-pool", workers=2, queue=1, busy=busy)
    release = threading.Event()
    try:
        held = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(3)]
        while pool.admitted < 3:
            await asyncio.sleep(0.01)
        with pytest.raises(RateLimited) as caught:
            await pool.run(lambda: "never")
        assert caught.value.code == "test_busy"
        # the default executor (DNS lookups, file writes) is not this pool: it still runs
        assert await asyncio.to_thread(threading.current_thread) is not threading.current_thread()
        release.set()
        assert await asyncio.gather(*held) == [True, True, True]
        assert pool.admitted == 0
        assert await pool.run(lambda: threading.current_thread().name.startswith("test-pool"))
    finally:
        release.set()
        pool.close()


async def test_a_call_that_overruns_keeps_its_place_until_its_thread_returns() -> None:
    pool = BoundedPool("test-pool", workers=1, queue=0, busy=busy)
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError):
            await pool.run(release.wait, time_limit=0.05)
        assert pool.admitted == 1  # the thread is still inside the call: the pool is still full
        with pytest.raises(RateLimited):
            await pool.run(lambda: None)
        release.set()
        while pool.admitted:
            await asyncio.sleep(0.01)
        assert await pool.run(lambda: 7) == 7
    finally:
        release.set()
        pool.close()


async def test_time_waiting_for_a_thread_does_not_count_against_the_time_limit() -> None:
    pool = BoundedPool("test-pool", workers=1, queue=1, busy=busy)
    release = threading.Event()
    try:
        first = asyncio.ensure_future(pool.run(release.wait))
        second = asyncio.ensure_future(pool.run(lambda: "ran", time_limit=0.1))
        await asyncio.sleep(0.3)  # the second waits for the thread three times its limit …
        release.set()  # … and then runs within it
        assert await first is True and await second == "ran"
    finally:
        release.set()
        pool.close()


async def test_pool_threads_and_the_threads_they_start_run_at_a_lower_priority() -> None:
    # Argon2 starts lanes of its own from the pool thread: they inherit the thread's nice value.
    import os

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    pool = BoundedPool("test-pool", workers=1, queue=0, busy=busy, nice=5)

    def nice_of_this_and_a_child() -> tuple[int, int]:
        seen: list[int] = []
        child = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))
        child.start()
        child.join()
        return os.getpriority(os.PRIO_PROCESS, 0), seen[0]

    try:
        own, child = await pool.run(nice_of_this_and_a_child)
    finally:
        pool.close()
    assert own == min(19, base + 5) and child == own
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the loop's thread unchanged
