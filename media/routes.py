"""REST routes of the media plane: room media status for moderators (recordings in media.recording_routes)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from media.api import MEDIA, ROUTER
from rooms.api import Action, authorize
from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.http import principal_of

routes = ApiRoutes("media")


class ViewerLayer(BaseModel):
    """One video viewer's temporal layer (media/layers.py): sent now, aimed at, and why."""

    subscription_id: str
    user_id: int
    layer: int  # frames of layers above it are not sent to this viewer
    target: int  # its pin, else the room's, else its own estimate; reached at the next layer sync
    pin: int | None
    room_pin: int | None
    switches: int
    skipped_frames: int
    loss: float  # fraction lost in its last receiver report
    rtt: float | None  # seconds
    remb: int | None  # its receiver-estimated maximum bit rate, when it sends REMB


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
    keyframe_reasks: int  # requests repeated when the publisher's keyframe throttle window closed
    keyframes_in: int  # keyframes received from the publisher
    packets_lost: int
    publisher_nacked: int  # sequence numbers the server NACKed the publisher for (live publication)
    publisher_rtx_received: int  # retransmissions (RTX) that came back from the publisher
    publisher_gaps: int  # lost packets given up (no retransmission in time): a keyframe was asked for
    dropped_frames: int
    viewer_nacked: int  # sequence numbers viewers NACKed (``retransmits`` of them answered from history)
    retransmits: int
    temporal_layers: int  # layers the publisher sends now (VP8 L1T3: 3; one layer: 0, nothing to drop)
    viewer_layers: list[ViewerLayer]


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
    layer_pin: int | None  # a moderator's temporal layer for every viewer of the room
    viewers_per_layer: dict[str, int]  # video viewers of layered sources by the layer they get
    layer_switches: int
    sources: list[SourceStatus]


@routes.route("GET", "/api/rooms/{room_id}/media", summary="Live media status of a room (moderators)",
              response=RoomMediaStatus)  # fmt: skip
async def room_media(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.MEDIA_PREVIEW)
    _node, status = await request.app[ROUTER].call(room_id, "status", room_id=room_id)
    return json_response(RoomMediaStatus.model_validate(status))


class IceServerOut(BaseModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceOut(BaseModel):
    ice_servers: list[IceServerOut]
    expires_at: int | None  # unix time the TURN credentials stop working (fetch again before)
    https_url: str | None  # where this server serves HTTPS (camera and microphone work only there)


@routes.route("GET", "/api/media/ice", summary="ICE servers for this client's peer connections, with TURN "
              "credentials minted for it (short-lived)", response=IceOut)  # fmt: skip
async def ice_servers(request: web.Request) -> web.Response:
    principal = principal_of(request)
    ctx = ctx_of(request)
    ice = request.app[MEDIA].ice.for_browser(principal.user_id)
    base = ctx.settings.base_url
    response = json_response(
        IceOut(
            ice_servers=[
                IceServerOut(urls=s.urls, username=s.username, credential=s.credential) for s in ice.servers
            ],
            expires_at=ice.expires_at,
            https_url=base if base.startswith("https://") else None,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # credentials of this user: no shared cache keeps them
    return response
