"""Cross-process fan-out: one small interface, an in-process and a Redis implementation."""

from server.bus.base import Bus, Handler, Subscription
from server.bus.memory import MemoryBus


def create_bus(redis_url: str, prefix: str = "moke") -> Bus:
    """The in-process bus when ``redis_url`` is empty, else the Redis bus."""
    if not redis_url:
        return MemoryBus()
    from server.bus.redis import RedisBus

    return RedisBus(redis_url, prefix=prefix)


__all__ = ["Bus", "Handler", "MemoryBus", "Subscription", "create_bus"]
