"""REST routes of the media plane: room media status for moderators (recordings in media.recording_routes)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from media.routing import ROUTER
from rooms.api import Action, authorize
from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.http import principal_of

routes = ApiRoutes("media")


class SourceStatus(BaseModel):
    source: str
    live: bool
    publisher_user_id: int | None
    video_codec: str | None
    audio_codec: str | None
    viewers: int
    bitrate_in: int
    bitrate_out: int
    frames_in: int
    keyframe_requests: int
    packets_lost: int
    dropped_frames: int
    retransmits: int


class RoomMediaStatus(BaseModel):
    room_id: str
    publishers: int
    viewers: int
    bitrate_in: int
    bitrate_out: int
    bytes_in: int
    bytes_out: int
    keyframe_requests: int
    packets_lost: int
    retransmits: int
    sources: list[SourceStatus]


@routes.route("GET", "/api/rooms/{room_id}/media", summary="Live media status of a room (moderators)",
              response=RoomMediaStatus)  # fmt: skip
async def room_media(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.MEDIA_PREVIEW)
    _node, status = await request.app[ROUTER].call(room_id, "status", room_id=room_id)
    return json_response(RoomMediaStatus.model_validate(status))
