"""Process gauges on /metrics (server/process_metrics.py): what bench/soak.py samples, read on a real server."""

from __future__ import annotations

import asyncio
import os
import re
import threading

from prometheus_client import CollectorRegistry, generate_latest

from server.process_metrics import register
from tests.support.api import Api


def gauge(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing"
    return float(match.group(1))


async def test_metrics_show_memory_descriptors_tasks_and_threads(api: Api) -> None:
    async with api.http.get(api.base + "/metrics") as resp:
        text = await resp.text()
    # the server runs in this process: its gauges are this process's numbers
    assert gauge(text, "process_resident_memory_bytes") > 10_000_000
    assert 5 < gauge(text, "process_open_fds") <= len(os.listdir("/proc/self/fd")) + 5
    assert gauge(text, "moke_threads") >= 1
    assert gauge(text, "moke_asyncio_tasks") >= 1  # at least the request's own handler task


async def test_the_task_and_thread_gauges_follow_the_process() -> None:
    registry = CollectorRegistry()
    register(registry)
    before = gauge(generate_latest(registry).decode(), "moke_asyncio_tasks")
    release = threading.Event()
    parked = [asyncio.ensure_future(asyncio.sleep(60)) for _ in range(25)]
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        text = generate_latest(registry).decode()
        assert gauge(text, "moke_asyncio_tasks") == before + 25
        assert gauge(text, "moke_threads") == threading.active_count()
    finally:
        release.set()
        worker.join()
        for task in parked:
            task.cancel()
        await asyncio.gather(*parked, return_exceptions=True)
    assert gauge(generate_latest(registry).decode(), "moke_asyncio_tasks") == before
