"""The HLS packagers of one process (:mod:`media.hls`): one per room and source, started on request
(``POST /api/rooms/{id}/hls``, at the room's media home) and ended with their source; each one's files
live in ``DATA_DIR/hls/<room>/<source>/<session>/`` and go with it."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from pathlib import Path

from media.hls import Packager
from media.registry import SourceRegistry
from server.cluster import TaskGroup
from server.errors import Conflict

log = logging.getLogger(__name__)


class HlsService:
    """The packagers of this process: one per room and source, started on request, ended with the source."""

    def __init__(
        self,
        registry: SourceRegistry,
        data_dir: Path,
        *,
        segment_seconds: float,
        window_seconds: float,
        tasks: TaskGroup | None = None,
    ) -> None:
        self.registry = registry
        self.root = data_dir / "hls"
        self.segment_seconds = segment_seconds
        self.window_seconds = window_seconds
        self.tasks = tasks if tasks is not None else TaskGroup("media/hls")
        self.active: dict[tuple[str, str], Packager] = {}
        self.requests: dict[str, dict[str, int]] = {}  # room -> {"playlist": n, "segment": n}
        self._lock = asyncio.Lock()

    async def start(self, room_id: str, source_name: str) -> Packager:
        """The source's packager, started now if it is not running (idempotent)."""
        async with self._lock:
            found = self.active.get((room_id, source_name))
            if found is not None:
                return found
            source = self.registry.get(room_id, source_name)
            if source is None or not source.video.live:
                raise Conflict(f"{source_name} is not live", code="not_live")
            directory = self.root / room_id / source_name.replace(":", "-") / uuid.uuid4().hex[:12]
            await asyncio.to_thread(_clear, directory.parent)
            packager = Packager(
                source,
                directory,
                segment_seconds=self.segment_seconds,
                window_seconds=self.window_seconds,
                on_end=self._ended,
                tasks=self.tasks.child("packager"),
            )
            await packager.start()
            self.active[(room_id, source_name)] = packager
        log.info("hls started room=%s source=%s transcode=%s", room_id, source_name, packager.transcode)
        return packager

    def get(self, room_id: str, source_name: str) -> Packager | None:
        return self.active.get((room_id, source_name))

    def _ended(self, packager: Packager) -> None:
        key = (packager.source.room_id, packager.source.name)
        if self.active.get(key) is packager:
            self.tasks.spawn(self.stop(*key), name=f"hls-end:{packager.session}")

    async def stop(self, room_id: str, source_name: str) -> bool:
        """End the packager and remove its files; False when none was running."""
        packager = self.active.pop((room_id, source_name), None)
        if packager is None:
            return False
        await packager.stop()
        await asyncio.to_thread(_clear, packager.directory.parent)
        log.info(
            "hls stopped room=%s source=%s: %d frames, %d bytes, %.2fs CPU",
            room_id, source_name, packager.stats.frames, packager.stats.bytes, packager.stats.cpu_seconds,
        )  # fmt: skip
        return True

    def counted(self, room_id: str, kind: str) -> None:
        """One playlist or segment request served (``/metrics``)."""
        counts = self.requests.setdefault(room_id, {"playlist": 0, "segment": 0})
        counts[kind] += 1

    async def stop_all(self) -> None:
        for key in list(self.active):
            await self.stop(*key)
        await self.tasks.close()


def _clear(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
