"""What the rest of Moke (the main-venue controller in ``venues``) may ask of the media plane.

``media`` implements :class:`ProgramMedia` (``media.program.ProgramPlane``) and stores it under
``PROGRAM_MEDIA`` on the app in its ``setup``. The controller decides *which* venue is main (epochs,
conflicts, agenda, fallback policy, audit); the media plane makes the program feed follow it on the wire.
A program *target* is a venue id or a live screen share's source name, ``"screen:<user_id>"`` (venue ids
never hold a colon): the controller cues and takes a shared screen as it does a venue.
``ROUTER`` is the room-to-home-process router: it holds each room's media-home lease, and the controller
runs a room's program feed in the process it names (:meth:`MediaRouter.home`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeGuard

from aiohttp import web

from media.models import Recording
from media.routing import MediaRouter

if TYPE_CHECKING:  # the implementations import this module; only their types are needed here
    from media.hls_service import HlsService
    from media.recording import RecordingService
    from media.registry import SourceRegistry
    from media.service import MediaService

SCREEN_PREFIX = "screen:"


def is_screen(target: str | None) -> TypeGuard[str]:
    """True when a program target names a screen share (``screen:<user_id>``) rather than a venue."""
    return target is not None and target.startswith(SCREEN_PREFIX)


def target_source(target: str) -> str:
    """The media source a program target names: ``screen:<user_id>`` as it is, a venue id as ``venue:<id>``."""
    return target if is_screen(target) else f"venue:{target}"


# (room_id, target, live) — called when a venue's (or a screen share's) publisher starts, stops or drops.
VenueLiveListener = Callable[[str, str, bool], Awaitable[None]]


@dataclass(frozen=True)
class CutResult:
    """How a cut went on the wire: ``switched`` False means no keyframe arrived in time (old source kept)."""

    switched: bool
    seconds: float  # from the request to the first forwarded frame of the new source


class ProgramMedia(Protocol):
    def venue_is_live(self, room_id: str, venue_id: str) -> bool:
        """True while a publisher is sending media for ``venue_id``."""
        ...

    async def cut(self, room_id: str, venue_id: str | None, *, epoch: int) -> CutResult:
        """Make ``venue_id`` the program source at its next keyframe (``None`` = the slate).

        Requests a keyframe at once; returns when the switch happened on the wire or timed out."""
        ...

    def unfit_reason(self, room_id: str, venue_id: str) -> str | None:
        """Why the program cannot carry this live venue (e.g. it publishes another codec); None if it can."""
        ...

    async def preview(self, room_id: str, venue_id: str | None, *, epoch: int) -> CutResult:
        """Make the room's ``"preview"`` source carry the cued venue (``None`` = the slate)."""
        ...

    def add_venue_listener(self, listener: VenueLiveListener) -> None:
        """Be told when venues go live or drop (the controller's fallback timer starts from this)."""
        ...

    def rooms(self) -> set[str]:
        """Rooms whose program feed exists in this process."""
        ...

    def idle_seconds(self, room_id: str) -> float:
        """How long the room's program feed has had no viewer and no live venue here (0: busy)."""
        ...

    async def release(self, room_id: str) -> None:
        """Free the room's program feed (switchers, tasks, sources); a later cut creates a fresh one."""
        ...


PROGRAM_MEDIA: web.AppKey[ProgramMedia] = web.AppKey("moke_program_media", ProgramMedia)
# The room-to-home-process router: every media call for a room runs in its home process.
ROUTER: web.AppKey[MediaRouter] = web.AppKey("moke_media_router", MediaRouter)
# Inside media: named sources per room, publishers and viewers, recordings.
SOURCES: web.AppKey[SourceRegistry] = web.AppKey("moke_media_sources")
MEDIA: web.AppKey[MediaService] = web.AppKey("moke_media")
RECORDINGS: web.AppKey[RecordingService] = web.AppKey("moke_media_recordings")
HLS: web.AppKey[HlsService] = web.AppKey("moke_media_hls")

__all__ = [
    "HLS",
    "MEDIA",
    "PROGRAM_MEDIA",
    "RECORDINGS",
    "ROUTER",
    "SCREEN_PREFIX",
    "SOURCES",
    "CutResult",
    "MediaRouter",
    "ProgramMedia",
    "Recording",
    "VenueLiveListener",
    "is_screen",
    "target_source",
]
