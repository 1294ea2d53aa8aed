"""REST for recordings: start/stop (host, moderators), list and download with HTTP range requests."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from media.api import RECORDINGS, ROUTER
from media.models import Recording
from media.recording import RecordingService
from media.registry import source_name_valid
from rooms.api import Action, authorize
from server.api import ApiRoutes, json_response, read_json
from server.context import ctx_of
from server.errors import NotFound, ValidationError
from server.http import principal_of

routes = ApiRoutes("media")


class RecordingStart(BaseModel):
    source: str = Field(
        min_length=1, max_length=80, description='"venue:<venue_id>", "screen:<user_id>" or "program"'
    )


class RecordingOut(BaseModel):
    id: str
    room_id: str
    source: str
    venue_id: str | None
    started_by: int | None
    started_at: float
    origin: float | None = Field(description="UNIX time of the file's time zero (its first keyframe)")
    stopped_at: float | None
    duration: float
    size: int
    frames: int
    status: str
    content_type: str
    url: str


def _out(service: RecordingService, row: Recording) -> RecordingOut:
    size, duration = service.live_size(row)
    return RecordingOut(
        id=row.id,
        room_id=row.room_id,
        source=row.source,
        venue_id=row.venue_id,
        started_by=row.started_by,
        started_at=row.started_at,
        origin=row.origin,
        stopped_at=row.stopped_at,
        duration=round(duration, 3),
        size=size,
        frames=row.frames,
        status=row.status,
        content_type=row.content_type,
        url=f"/api/recordings/{row.id}/file",
    )


@routes.route("POST", "/api/rooms/{room_id}/recordings", summary="Start recording a live source",
              body=RecordingStart, response=RecordingOut, status=201)  # fmt: skip
async def start_recording(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    principal = principal_of(request)
    await authorize(ctx_of(request).db, principal, room_id, Action.RECORDING_MANAGE)
    body = await read_json(request, RecordingStart)
    if not source_name_valid(body.source):
        raise ValidationError(
            "source must be venue:<id>, seat:<user_id>, screen:<user_id>, program or preview",
            code="invalid_source",
        )
    service = request.app[RECORDINGS]
    router = request.app[ROUTER]
    started = await router.call(room_id, "recording_start", room_id=room_id, source=body.source,
                                user_id=principal.user_id)  # fmt: skip
    return json_response(_out(service, await service.get(started[1]["id"])), status=201)


@routes.route("POST", "/api/recordings/{recording_id}/stop", summary="Stop a running recording",
              response=RecordingOut)  # fmt: skip
async def stop_recording(request: web.Request) -> web.Response:
    service = request.app[RECORDINGS]
    row = await service.get(request.match_info["recording_id"])
    await authorize(ctx_of(request).db, principal_of(request), row.room_id, Action.RECORDING_MANAGE)
    await request.app[ROUTER].call(row.room_id, "recording_stop", recording_id=row.id)
    return json_response(_out(service, await service.get(row.id)))


@routes.route("GET", "/api/rooms/{room_id}/recordings", summary="Recordings of a room",
              response=RecordingOut, response_list=True)  # fmt: skip
async def list_recordings(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.MEDIA_WATCH)
    service = request.app[RECORDINGS]
    return json_response([_out(service, r) for r in await service.in_room(room_id)])


@routes.route("GET", "/api/recordings/{recording_id}/file", content_type="video/webm",
              summary="The recorded file (HTTP range requests; ?token= for <video> elements)")  # fmt: skip
async def recording_file(request: web.Request) -> web.StreamResponse:
    service = request.app[RECORDINGS]
    row = await service.get(request.match_info["recording_id"])
    await authorize(ctx_of(request).db, principal_of(request), row.room_id, Action.MEDIA_WATCH)
    path = service.file_of(row)
    if not path.is_file():
        raise NotFound("the recording has no file yet", code="file_not_found")
    return web.FileResponse(path, headers={"Content-Type": row.content_type, "Cache-Control": "private"})
