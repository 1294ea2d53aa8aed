"""REST API of evaluation: rubrics and templates, settings, notes, evaluations, aggregation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from evaluation import notes, rubrics, scores, summary
from evaluation.realtime import broadcast_note, push_aggregate, push_all, push_segment
from evaluation.rubrics import Rubric, RubricBody, Template
from rooms.api import Action, Role, authorize
from server.api import ApiRoutes, json_response, read_json
from server.context import AppContext, ctx_of
from server.errors import NotFound, ValidationError
from server.http import principal_of

routes = ApiRoutes("evaluation")

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def segment_of(request: web.Request) -> str:
    segment_id = request.match_info["segment_id"]
    if not _SEGMENT.match(segment_id):
        raise ValidationError("segment_id: 1–64 letters, digits, '-' or '_'", code="bad_segment")
    return segment_id


@dataclass(frozen=True)
class Caller:
    """Who calls in the path's room, once their role there was found to allow the route's action."""

    ctx: AppContext
    room_id: str
    user_id: int
    role: Role


async def allow(request: web.Request, action: Action) -> Caller:
    """The caller in the path's room, if their role allows ``action`` (else 401/403/404)."""
    ctx, principal, room_id = ctx_of(request), principal_of(request), request.match_info["room_id"]
    role = await authorize(ctx.db, principal, room_id, action)
    return Caller(ctx, room_id, principal.user_id, role)


class RubricCreate(BaseModel):
    """Either ``template`` alone (use it as shipped) or a whole rubric (``template`` names its origin)."""

    template: str | None = None
    rubric: RubricBody | None = None


class EvaluationState(BaseModel):
    rubric: Rubric | None
    anonymous: bool
    segments: list[scores.SegmentOut]


class SettingsPatch(BaseModel):
    anonymous: bool


@routes.route("GET", "/api/rubric-templates", summary="Shipped rubric templates (Chinese)",
              response=Template, response_list=True)  # fmt: skip
async def list_templates(request: web.Request) -> web.Response:
    principal_of(request)
    return json_response(list(rubrics.templates().values()))


@routes.route("GET", "/api/rubric-templates/{key}", summary="One rubric template", response=Template)
async def get_template(request: web.Request) -> web.Response:
    principal_of(request)
    return json_response(rubrics.template(request.match_info["key"]))


@routes.route("GET", "/api/rooms/{room_id}/rubrics", summary="Every version of the room's rubric, oldest first",
              response=Rubric, response_list=True)  # fmt: skip
async def list_rubrics(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    async with c.ctx.db.session() as session:
        return json_response(await rubrics.versions(session, c.room_id))


@routes.route("POST", "/api/rooms/{room_id}/rubrics", summary="Choose a template or save an edited rubric (adds a version)",
              body=RubricCreate, response=Rubric, status=201)  # fmt: skip
async def create_rubric(request: web.Request) -> web.Response:
    c = await allow(request, Action.RUBRIC_MANAGE)
    body = await read_json(request, RubricCreate)
    if body.rubric is None and body.template is None:
        raise ValidationError("give a template key or a rubric", code="rubric_missing")
    if body.rubric is not None:
        chosen: RubricBody = body.rubric
        if body.template is not None:
            rubrics.template(body.template)
    else:
        assert body.template is not None
        chosen = RubricBody.model_validate(rubrics.template(body.template).model_dump(exclude={"key"}))
    async with c.ctx.db.transaction() as session:
        rubric = await rubrics.add_version(
            session, c.room_id, chosen, template_key=body.template, user_id=c.user_id
        )
    return json_response(rubric, status=201)


@routes.route("GET", "/api/rooms/{room_id}/rubrics/{rubric_id}", summary="One version of the room's rubric",
              response=Rubric)  # fmt: skip
async def get_rubric(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    async with c.ctx.db.session() as session:
        return json_response(await rubrics.get(session, request.match_info["rubric_id"], c.room_id))


async def _state(c: Caller) -> EvaluationState:
    async with c.ctx.db.session() as session:
        rubric = await rubrics.current(session, c.room_id)
        anonymous = await scores.is_anonymous(session, c.room_id)
    return EvaluationState(
        rubric=rubric, anonymous=anonymous, segments=await scores.segments(c.ctx, c.room_id)
    )


@routes.route("GET", "/api/rooms/{room_id}/evaluation", summary="Current rubric, anonymous mode and segments",
              response=EvaluationState)  # fmt: skip
async def get_state(request: web.Request) -> web.Response:
    return json_response(await _state(await allow(request, Action.ROOM_VIEW)))


@routes.route("PATCH", "/api/rooms/{room_id}/evaluation", summary="Host: switch anonymous mode",
              body=SettingsPatch, response=EvaluationState)  # fmt: skip
async def patch_state(request: web.Request) -> web.Response:
    c = await allow(request, Action.RUBRIC_MANAGE)
    body = await read_json(request, SettingsPatch)
    await scores.set_anonymous(c.ctx, c.room_id, body.anonymous)
    await push_all(c.ctx, c.room_id)
    return json_response(await _state(c))


async def _shared(c: Caller, note: notes.NoteOut) -> None:
    """A note the room may now read: to everyone in it, and into the host's aggregate."""
    await broadcast_note(c.ctx, note)
    await push_aggregate(c.ctx, note.room_id, note.segment_id)


@routes.route("POST", "/api/rooms/{room_id}/notes", summary="Add an observation note (idempotent by client_id)",
              body=notes.NoteIn, response=notes.NoteOut, status=201)  # fmt: skip
async def add_note(request: web.Request) -> web.Response:
    c = await allow(request, Action.NOTE_WRITE)
    body = await read_json(request, notes.NoteIn)
    note, created = await notes.add(c.ctx, c.room_id, c.user_id, body)
    if created and note.shared:
        await _shared(c, note)
    return json_response(note, status=201 if created else 200)


@routes.route("GET", "/api/rooms/{room_id}/notes", summary="My notes and every shared note, in time order",
              response=notes.NoteOut, response_list=True, query={"segment_id": "only this segment"})  # fmt: skip
async def list_notes(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    segment_id = request.query.get("segment_id")
    return json_response(await notes.visible(c.ctx, c.room_id, c.user_id, segment_id=segment_id))


@routes.route("PATCH", "/api/rooms/{room_id}/notes/{note_id}", summary="Edit or share one's own note",
              body=notes.NotePatch, response=notes.NoteOut)  # fmt: skip
async def patch_note(request: web.Request) -> web.Response:
    c = await allow(request, Action.NOTE_WRITE)
    body = await read_json(request, notes.NotePatch)
    note, shared = await notes.update(c.ctx, c.room_id, request.match_info["note_id"], c.user_id, body)
    if shared:
        await _shared(c, note)
    return json_response(note)


@routes.route("GET", "/api/rooms/{room_id}/evaluations", summary="Segments with evaluations and whether each is closed",
              response=scores.SegmentOut, response_list=True)  # fmt: skip
async def list_segments(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    return json_response(await scores.segments(c.ctx, c.room_id))


@routes.route("PUT", "/api/rooms/{room_id}/segments/{segment_id}/evaluation",
              summary="Submit or replace my evaluation of a segment", body=scores.EvaluationIn,
              response=scores.EvaluationOut)  # fmt: skip
async def put_evaluation(request: web.Request) -> web.Response:
    c = await allow(request, Action.SCORE_SUBMIT)
    segment_id = segment_of(request)
    body = await read_json(request, scores.EvaluationIn)
    out = await scores.submit(c.ctx, c.room_id, segment_id, c.user_id, body)
    await push_aggregate(c.ctx, c.room_id, segment_id)
    return json_response(out)


@routes.route("GET", "/api/rooms/{room_id}/segments/{segment_id}/evaluation", summary="My evaluation of a segment",
              response=scores.EvaluationOut)  # fmt: skip
async def get_evaluation(request: web.Request) -> web.Response:
    c = await allow(request, Action.SCORE_SUBMIT)
    return json_response(await scores.mine(c.ctx, c.room_id, segment_of(request), c.user_id))


@routes.route("GET", "/api/rooms/{room_id}/segments/{segment_id}/evaluations",
              summary="Host: every evaluation of a segment (no identities in anonymous mode)",
              response=scores.EvaluationOut, response_list=True)  # fmt: skip
async def list_evaluations(request: web.Request) -> web.Response:
    c = await allow(request, Action.EVALUATION_MANAGE)
    out, _ = await scores.of_segment(c.ctx, c.room_id, segment_of(request))
    return json_response(out)


@routes.route("POST", "/api/rooms/{room_id}/segments/{segment_id}/close", summary="Host: close evaluation of a segment",
              response=scores.SegmentOut)  # fmt: skip
async def close_segment(request: web.Request) -> web.Response:
    return await _set_closed(request, True)


@routes.route("POST", "/api/rooms/{room_id}/segments/{segment_id}/reopen", summary="Host: reopen evaluation of a segment",
              response=scores.SegmentOut)  # fmt: skip
async def reopen_segment(request: web.Request) -> web.Response:
    return await _set_closed(request, False)


async def _set_closed(request: web.Request, closed: bool) -> web.Response:
    c = await allow(request, Action.EVALUATION_MANAGE)
    segment_id = segment_of(request)
    out = await scores.set_closed(c.ctx, c.room_id, segment_id, c.user_id, closed)
    await push_segment(c.ctx, c.room_id, out.model_dump(mode="json"))
    await push_aggregate(c.ctx, c.room_id, segment_id)
    return json_response(out)


@routes.route("GET", "/api/rooms/{room_id}/segments/{segment_id}/aggregate", summary="Host: live aggregation of a segment",
              response=summary.SegmentAggregate,
              query={"rubric_id": "aggregate evaluations given against this rubric version (default: current)"})  # fmt: skip
async def get_aggregate(request: web.Request) -> web.Response:
    c = await allow(request, Action.EVALUATION_MANAGE)
    data = await summary.load(c.ctx, c.room_id, segment_of(request), rubric_id=request.query.get("rubric_id"))
    if data.rubric is None:
        raise NotFound("the room has no rubric yet", code="no_rubric")
    return json_response(data.summary)
