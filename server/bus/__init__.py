"""Cross-process fan-out: one small interface, an in-process and a Redis implementation."""

from server.bus.base import Bus, Handler, Subscription
from server.bus.memory import MemoryBus
from server.cluster import Cluster


def create_bus(redis_url: str, prefix: str = "moke", *, cluster: Cluster | None = None) -> Bus:
    """The in-process bus when ``redis_url`` is empty, else the Redis bus. Given this process's
    ``cluster``, the bus takes its node id, counts failed tasks with it and shares its Redis client."""
    node_id = cluster.node_id if cluster is not None else None
    failures = cluster.failures if cluster is not None else None
    if not redis_url:
        return MemoryBus(node_id, failures)
    from server.bus.redis import RedisBus

    client = cluster.redis_client() if cluster is not None else None
    return RedisBus(redis_url, prefix=prefix, redis=client, node_id=node_id, failures=failures)


__all__ = ["Bus", "Handler", "MemoryBus", "Subscription", "create_bus"]
