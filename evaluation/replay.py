"""Replay with notes: shared notes placed on a recording's timeline, so the player can seek to each.

``offset = note.at − origin``. Give ``recording_id`` (one of the media package's
``GET /api/rooms/{room_id}/recordings``): its ``origin`` (the wall-clock time of the file's first frame)
is the origin and its end bounds the notes;
or give ``origin`` (and ``until``) in UNIX seconds for any other timeline.
"""

from __future__ import annotations

import math

from aiohttp import web
from pydantic import BaseModel

from evaluation import notes
from evaluation.notes import NoteOut
from evaluation.observation.samples import TimedCode, timeline
from evaluation.routes import allow
from media.api import Recording
from rooms.api import Action
from server.api import ApiRoutes, Query, json_response
from server.context import AppContext
from server.db import now
from server.errors import NotFound, ValidationError
from venues.api import MainStretch, main_venues

routes = ApiRoutes("evaluation")


class PlacedNote(BaseModel):
    offset: float  # seconds into the recording
    note: NoteOut


class PlacedCode(BaseModel):
    """An observation code (S-T …) on the recording's timeline: the observers' combined code of a moment."""

    offset: float
    run_id: str
    instrument: str
    code: str
    title: str
    color: str


class ReplayOut(BaseModel):
    room_id: str
    recording_id: str | None
    recording_url: str | None
    origin: float
    until: float | None
    notes: list[PlacedNote]
    on_air: list[MainStretch]  # which venue was main when (the hand-off log), on the same timeline
    codes: list[PlacedCode]  # structured observation, on the same timeline


def place(found: list[NoteOut], origin: float, until: float | None) -> list[PlacedNote]:
    """Notes that fall inside ``[origin, until]``, with their offsets, in time order."""
    inside = [n for n in found if n.at >= origin and (until is None or n.at <= until)]
    return [PlacedNote(offset=n.at - origin, note=n) for n in sorted(inside, key=lambda n: n.at)]


def place_codes(found: list[TimedCode], origin: float, until: float | None) -> list[PlacedCode]:
    return [
        PlacedCode(offset=c.at - origin, **c.model_dump(exclude={"at"}))
        for c in found
        if c.at >= origin and (until is None or c.at <= until)
    ]


def _number(request: web.Request, name: str, required: bool) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationError(f"{name}: required (or give recording_id)", code="bad_query")
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "nan", "inf" and "1e999" parse; none is a time
        raise ValidationError(f"{name}: not a finite number", code="bad_query")
    return value


def window(row: Recording) -> tuple[float, float | None]:
    """The wall-clock times of a recording's first and last moment (``None`` while it records).

    Time zero of the file is its first keyframe's arrival (``origin``), which trails ``started_at`` by
    the wait for that keyframe; rows without one (nothing was written) fall back to ``started_at``.
    """
    origin = row.origin if row.origin is not None else row.started_at
    if row.duration:
        return origin, origin + row.duration
    return origin, row.stopped_at


async def recording_window(ctx: AppContext, room_id: str, recording_id: str) -> tuple[float, float | None]:
    """Start and end (``None`` while it records) of one of the room's recordings."""
    async with ctx.db.session() as session:
        row = await session.get(Recording, recording_id)
    if row is None or row.room_id != room_id:
        raise NotFound(f"recording {recording_id} not found", code="recording_not_found")
    return window(row)


@routes.route(
    "GET", "/api/rooms/{room_id}/replay",
    summary="Shared notes (and my drafts) and the main venue's stretches on a recording's timeline: "
            "offset = time − recording origin",
    response=ReplayOut,
    query={"recording_id": "a recording of the room (its start is the origin)",
           "origin": Query("or: timeline start (UNIX seconds)", float),
           "until": Query("timeline end in UNIX seconds (optional with origin)", float),
           "segment_id": "only this segment"},
    errors=((ValidationError, "bad_query"),),
)  # fmt: skip
async def get_replay(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    ctx, room_id = c.ctx, c.room_id
    recording_id = request.query.get("recording_id") or None
    if recording_id is not None:
        origin, until = await recording_window(ctx, room_id, recording_id)
    else:
        start = _number(request, "origin", True)
        assert start is not None
        origin, until = start, _number(request, "until", False)
    segment_id = request.query.get("segment_id")
    found = await notes.visible(ctx, room_id, c.user_id, segment_id=segment_id)
    codes = place_codes(await timeline(ctx, room_id, segment_id), origin, until)
    url = f"/api/recordings/{recording_id}/file" if recording_id else None
    return json_response(
        ReplayOut(
            room_id=room_id,
            recording_id=recording_id,
            recording_url=url,
            origin=origin,
            until=until,
            notes=place(found, origin, until),
            on_air=await main_venues(ctx.db, room_id, origin, until if until is not None else now()),
            codes=codes,
        )  # fmt: skip
    )
