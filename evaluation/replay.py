"""Replay with notes: shared notes placed on a recording's timeline, so the player can seek to each.

``offset = note.at − recording start``. The recording's start comes from the media package's
``GET /api/rooms/{room_id}/recordings`` (its ``started_at``); the client passes it as ``origin``.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from evaluation import notes
from evaluation.notes import NoteOut
from evaluation.routes import allow
from rooms.permissions import Action
from server.api import ApiRoutes, json_response
from server.context import ctx_of
from server.errors import ValidationError

routes = ApiRoutes("evaluation")


class PlacedNote(BaseModel):
    offset: float  # seconds into the recording
    note: NoteOut


class ReplayOut(BaseModel):
    room_id: str
    origin: float
    until: float | None
    notes: list[PlacedNote]


def place(found: list[NoteOut], origin: float, until: float | None) -> list[PlacedNote]:
    """Notes that fall inside ``[origin, until]``, with their offsets, in time order."""
    inside = [n for n in found if n.at >= origin and (until is None or n.at <= until)]
    return [PlacedNote(offset=n.at - origin, note=n) for n in sorted(inside, key=lambda n: n.at)]


def _number(request: web.Request, name: str, required: bool) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationError(f"{name}: required (the recording's start, UNIX seconds)", code="bad_query")
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"{name}: not a number", code="bad_query") from None


@routes.route(
    "GET", "/api/rooms/{room_id}/replay",
    summary="Shared notes (and my drafts) on a recording's timeline: offset = note time − recording start",
    response=ReplayOut,
    query={"origin": "recording start (UNIX seconds)", "until": "recording end (optional)", "segment_id": "only this segment"},
)  # fmt: skip
async def get_replay(request: web.Request) -> web.Response:
    user_id, _ = await allow(request, Action.ROOM_VIEW)
    origin = _number(request, "origin", True)
    assert origin is not None
    until = _number(request, "until", False)
    room_id = request.match_info["room_id"]
    found = await notes.visible(ctx_of(request), room_id, user_id, segment_id=request.query.get("segment_id"))
    return json_response(
        ReplayOut(room_id=room_id, origin=origin, until=until, notes=place(found, origin, until))
    )
