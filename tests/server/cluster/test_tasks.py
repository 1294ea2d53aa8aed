"""Task groups: failures are logged and counted (in /metrics), close cancels and waits, children share counts."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from server.cluster import TaskFailures, TaskGroup
from tests.support.api import Api
from tests.support.server import RunningServer


async def test_a_failing_task_is_logged_with_its_group_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    failures = TaskFailures()
    group = TaskGroup("media-rpc", failures)

    async def boom() -> None:
        raise RuntimeError("boom")

    async def fine() -> int:
        return 7

    caplog.set_level(logging.ERROR, logger="server.cluster.tasks")
    bad, good = group.spawn(boom(), name="serve"), group.spawn(fine())
    await asyncio.wait([bad, good])
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert good.result() == 7 and len(group) == 0
    assert failures.counts == {"media-rpc": 1} and failures.total() == 1
    assert "task serve of group media-rpc failed" in caplog.text and "RuntimeError: boom" in caplog.text


async def test_cancelled_tasks_are_not_failures_and_close_waits_for_them() -> None:
    group = TaskGroup("g")
    finished: list[str] = []

    async def long() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.01)  # cleanup that close must wait for
            finished.append("cleaned")

    group.spawn(long())
    group.spawn(long())
    await asyncio.sleep(0)
    await group.close()
    assert finished == ["cleaned", "cleaned"] and len(group) == 0
    assert group.failures.total() == 0
    with pytest.raises(RuntimeError, match="closed"):
        group.spawn(long())


async def test_children_count_into_the_parent_and_close_with_it() -> None:
    parent = TaskGroup("media")
    peer, other = parent.child("peer"), parent.child("source")

    async def boom() -> None:
        raise ValueError("x")

    waiting = other.spawn(asyncio.sleep(60))
    await asyncio.wait([peer.spawn(boom())])
    await asyncio.sleep(0)
    assert parent.failures.counts == {"media/peer": 1}
    await peer.close()  # a child closes on its own, leaving the rest running
    assert not waiting.done()
    await parent.close()
    assert waiting.cancelled()


async def test_failures_are_exposed_as_a_prometheus_counter() -> None:
    failures = TaskFailures()
    registry = CollectorRegistry()
    failures.register(registry)
    failures.add("collab")
    failures.add("collab")
    failures.add("bus")
    text = generate_latest(registry).decode()
    assert 'moke_task_failures_total{group="collab"} 2.0' in text
    assert 'moke_task_failures_total{group="bus"} 1.0' in text


async def test_a_running_server_counts_its_failed_tasks_in_metrics(api: Api, server: RunningServer) -> None:
    status, body = await api.call("GET", "/metrics")
    assert status == 200 and "# TYPE moke_task_failures_total counter" in body.decode()
    group = server.ctx.cluster.task_group("probe")

    async def boom() -> None:
        raise RuntimeError("boom")

    await asyncio.wait([group.spawn(boom())])
    await asyncio.sleep(0)
    status, body = await api.call("GET", "/metrics")
    assert 'moke_task_failures_total{group="probe"} 1.0' in body.decode()
