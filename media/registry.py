"""Named media sources per room: ``"venue:<id>"``, ``"seat:<user_id>"``, ``"screen:<user_id>"`` (a shared
screen or window, 课件演示), ``"program"``, ``"preview"``.

``media:watch`` resolves its ``source`` here. Whoever produces a feed registers a
:class:`MediaSource` (an audio and a video :class:`~media.source.EncodedSource`) under a name;
publishers register theirs, and the venues package registers ``"program"``/``"preview"`` with::

    registry = app[media.api.SOURCES]
    program = registry.ensure(room_id, "program")    # same object on every call
    program.video.attach("video/VP8", requester); program.video.push(packet, keyframe)

Listeners hear ``(room_id, name, live)`` whenever a source goes live or drops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from media.source import EncodedSource
from server.cluster import TaskGroup

log = logging.getLogger(__name__)

SourceListener = Callable[[str, str, bool], Awaitable[None]]


def source_name_valid(name: str) -> bool:
    """``venue:<id>``, ``seat:<user_id>``, ``screen:<user_id>``, ``program`` or ``preview``."""
    if name in ("program", "preview"):
        return True
    kind, _, ident = name.partition(":")
    return kind in ("venue", "seat", "screen") and 0 < len(ident) <= 64 and ident.replace("-", "").isalnum()


@dataclass
class MediaSource:
    """One named feed: its audio and video sources, and who currently publishes it."""

    room_id: str
    name: str
    video: EncodedSource
    audio: EncodedSource
    publisher_user_id: int | None = None
    owner: object | None = field(default=None, repr=False)

    @property
    def live(self) -> bool:
        return self.video.live or self.audio.live

    def tracks(self) -> list[EncodedSource]:
        return [self.audio, self.video]


class SourceRegistry:
    """All named sources of all rooms in this process."""

    def __init__(self, keyframe_interval: float = 0.3, tasks: TaskGroup | None = None) -> None:
        self.keyframe_interval = keyframe_interval
        self.tasks = tasks if tasks is not None else TaskGroup("media")
        self._sources: dict[tuple[str, str], MediaSource] = {}
        self._listeners: list[SourceListener] = []

    def ensure(self, room_id: str, name: str) -> MediaSource:
        """The source under ``name`` in ``room_id``, created (not live) when missing."""
        if not source_name_valid(name):
            raise ValueError(f"invalid source name {name!r}")
        key = (room_id, name)
        found = self._sources.get(key)
        if found is None:
            ki = self.keyframe_interval
            found = MediaSource(
                room_id,
                name,
                video=EncodedSource(
                    "video", keyframe_interval=ki, name=f"{room_id}/{name}", tasks=self.tasks.child("source")
                ),
                audio=EncodedSource(
                    "audio", keyframe_interval=ki, name=f"{room_id}/{name}", tasks=self.tasks.child("source")
                ),
            )
            self._sources[key] = found
        return found

    def get(self, room_id: str, name: str) -> MediaSource | None:
        return self._sources.get((room_id, name))

    def in_room(self, room_id: str) -> list[MediaSource]:
        return [s for (r, _), s in self._sources.items() if r == room_id]

    def rooms(self) -> set[str]:
        return {r for r, _ in self._sources}

    def live_names(self, room_id: str) -> list[str]:
        return sorted(s.name for s in self.in_room(room_id) if s.live)

    def remove(self, room_id: str, name: str) -> None:
        """Forget a source and end its subscribers (used when nobody can publish it any more)."""
        found = self._sources.pop((room_id, name), None)
        if found is not None:
            for src in found.tracks():
                src.close()

    def add_listener(self, listener: SourceListener) -> None:
        self._listeners.append(listener)

    async def notify(self, room_id: str, name: str, live: bool) -> None:
        """Tell listeners a source went live or dropped (errors are logged, not raised)."""
        for listener in list(self._listeners):
            try:
                await listener(room_id, name, live)
            except Exception:
                log.exception("source listener failed room=%s source=%s", room_id, name)

    def close(self) -> None:
        for src in self._sources.values():
            for enc in src.tracks():
                enc.close()
        self._sources.clear()
