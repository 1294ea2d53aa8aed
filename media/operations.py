"""The media operations a room's media home runs (``media.routing``), for clients on any process.

Permissions are checked before an operation is sent (in ``media.signalling`` and the REST routes);
arguments and results are plain JSON values because they may cross processes on the bus.
"""

from __future__ import annotations

import functools
from typing import Any

from media.hls_service import HlsService
from media.recording import RecordingService
from media.routing import MediaRouter
from media.service import MediaService
from rooms.api import FloorService


def register(
    router: MediaRouter, service: MediaService, recordings: RecordingService, floor: FloorService,
    hls: HlsService,
) -> None:  # fmt: skip
    """Register every operation on ``router``; the caller has checked permissions."""

    async def publish(
        sid: str, user_id: int, room_id: str, name: str, sdp: str, type_: str, recheck_seat: bool
    ) -> dict[str, Any]:
        still_allowed = functools.partial(floor.holds_seat, room_id, user_id) if recheck_seat else None
        answer, pub_id = await service.publish(
            sid, user_id, room_id, name, sdp, type_, still_allowed=still_allowed
        )
        return {"sdp": answer.sdp, "type": answer.type, "publication_id": pub_id, "source": name}

    async def watch(sid: str, user_id: int, room_id: str, name: str, sdp: str, type_: str) -> dict[str, Any]:
        answer, sub_id = await service.watch(sid, user_id, room_id, name, sdp, type_)
        return {"sdp": answer.sdp, "type": answer.type, "subscription_id": sub_id}

    async def unpublish(sid: str, peer_id: str) -> dict[str, Any]:
        await service.unpublish(sid, peer_id)
        return {}

    async def unwatch(sid: str, peer_id: str) -> dict[str, Any]:
        await service.unwatch(sid, peer_id)
        return {}

    async def sources(room_id: str) -> dict[str, Any]:
        return {"sources": service.registry.live_names(room_id)}

    async def status(room_id: str) -> dict[str, Any]:
        service.sample_rates()
        return service.room_status(room_id)

    async def layer(room_id: str, subscription_id: str | None, layer: int | None) -> dict[str, Any]:
        service.pin_layer(room_id, subscription_id, layer)
        return {"room_id": room_id, "subscription_id": subscription_id, "layer": layer}

    async def recording_start(room_id: str, source: str, user_id: int) -> dict[str, Any]:
        return {"id": (await recordings.start(room_id, source, user_id)).id}

    async def recording_stop(recording_id: str) -> dict[str, Any]:
        return {"id": (await recordings.stop(recording_id)).id}

    async def hls_start(room_id: str, source: str) -> dict[str, Any]:
        packager = await hls.start(room_id, source)
        return {"running": True, "transcoded": packager.transcode}

    async def hls_stop(room_id: str, source: str) -> dict[str, Any]:
        return {"stopped": await hls.stop(room_id, source)}

    async def hls_status(room_id: str, source: str) -> dict[str, Any]:
        packager = hls.get(room_id, source)
        return {"running": packager is not None, "transcoded": packager is not None and packager.transcode}

    async def disconnect(sid: str) -> dict[str, Any]:
        await service.disconnect(sid)
        return {}

    for name, op in (("publish", publish), ("watch", watch), ("unpublish", unpublish),
                     ("unwatch", unwatch), ("sources", sources), ("status", status), ("layer", layer),
                     ("recording_start", recording_start), ("recording_stop", recording_stop),
                     ("hls_start", hls_start), ("hls_stop", hls_stop), ("hls_status", hls_status),
                     ("disconnect", disconnect)):  # fmt: skip
        router.register(name, op)
