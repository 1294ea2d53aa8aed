"""Gauges of the process itself for ``/metrics``: memory, file descriptors (prometheus_client's own
``process_*`` collector), and the two a leak shows first in an asyncio server — live tasks and threads.

``bench/soak.py`` samples these while a full showcase runs for half an hour; flat after warm-up is the target.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class RuntimeCollector(Collector):
    """``moke_asyncio_tasks`` (tasks not yet done on the serving loop) and ``moke_threads``."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            tasks = len(asyncio.all_tasks(asyncio.get_running_loop()))
        except RuntimeError:  # scraped outside the event loop (a test calling generate_latest directly)
            tasks = 0
        yield GaugeMetricFamily("moke_asyncio_tasks", "asyncio tasks not yet done on the serving loop", tasks)
        yield GaugeMetricFamily("moke_threads", "threads alive in this process", threading.active_count())


def register(registry: CollectorRegistry) -> None:
    """Add the process gauges (``process_resident_memory_bytes``, ``process_open_fds`` …) and the runtime ones."""
    ProcessCollector(registry=registry)
    registry.register(RuntimeCollector())
