"""One cluster layer: node membership with one heartbeat, leases, and task groups.

In-process (:class:`MemoryCluster`, the embedded default) and Redis (:class:`RedisCluster`, which also
owns the process's one Redis client) implementations keep one contract (``tests/server/test_cluster.py``).
"""

from server.clock import Clock
from server.cluster.base import Cluster, Lease
from server.cluster.memory import MemoryCluster, MemoryNetwork
from server.cluster.tasks import TaskFailures, TaskGroup


def create_cluster(
    redis_url: str, prefix: str = "moke", *, node_ttl: float = 6.0, clock: Clock | None = None
) -> Cluster:
    """The in-process cluster when ``redis_url`` is empty, else the Redis one."""
    if not redis_url:
        return MemoryCluster(node_ttl=node_ttl, clock=clock)
    from server.cluster.redis import RedisCluster

    return RedisCluster(redis_url, prefix=prefix, node_ttl=node_ttl, clock=clock)


__all__ = [
    "Cluster",
    "Lease",
    "MemoryCluster",
    "MemoryNetwork",
    "TaskFailures",
    "TaskGroup",
    "create_cluster",
]
