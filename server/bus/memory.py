"""In-process bus: the embedded default, for a single ``moke serve`` process."""

from __future__ import annotations

from server.bus.base import Bus


class MemoryBus(Bus):
    async def start(self) -> None:
        return None

    async def publish(self, channel: str, data: bytes) -> None:
        self._dispatch(channel, bytes(data))
