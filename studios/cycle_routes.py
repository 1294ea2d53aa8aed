"""REST: lesson-study cycles (课例研磨): create, list, add the next step (the plan carried forward), the view."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from collab.api import LIVE_DOCS, LiveDocuments
from rooms.api import Room, new_id
from server.api import ApiRoutes, json_response, read_json
from server.context import ctx_of
from server.db import now
from server.errors import Conflict, NotFound, Unavailable, ValidationError
from server.http import principal_of
from studios.access import authorize_studio, studio_role
from studios.activities import activities, activity_out, my_room_role
from studios.cycle_view import criteria_over_trials, diffs, drafts, trial
from studios.cycles import add_step, steps_of
from studios.models import Cycle
from studios.permissions import StudioAction
from studios.schemas import ActivityOut, CycleIn, CycleOut, CycleView, StepIn

routes = ApiRoutes("studios")


def _live(request: web.Request) -> LiveDocuments:
    live = request.app.get(LIVE_DOCS)
    if live is None:
        raise Unavailable("live documents are not available", code="collab_unavailable")
    return live


async def _cycle(request: web.Request, action: StudioAction) -> Cycle:
    ctx = ctx_of(request)
    cycle_id = request.match_info["cycle_id"]
    async with ctx.db.session() as session:
        cycle = await session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"cycle {cycle_id} not found", code="cycle_not_found")
    await authorize_studio(ctx.db, principal_of(request), cycle.studio_id, action)
    return cycle


async def _cycle_out(request: web.Request, cycle: Cycle) -> CycleOut:
    ctx = ctx_of(request)
    p = principal_of(request)
    mine = await studio_role(ctx.db, p, cycle.studio_id)
    async with ctx.db.session() as session:
        rows = await activities(session, cycle.studio_id, p.user_id, "all", cycle_id=cycle.id)
    seats = ctx.settings.rooms_default_seats
    steps = [activity_out(r, link, seats, my_room_role(link, role, mine)) for r, link, role in rows]
    return CycleOut(id=cycle.id, studio_id=cycle.studio_id, title=cycle.title, created_by=cycle.created_by,
                    created_at=cycle.created_at, steps=steps)  # fmt: skip


@routes.route("POST", "/api/studios/{studio_id}/cycles", summary="Start a lesson-study cycle (课例研磨) on a "
              "lesson", body=CycleIn, response=CycleOut, status=201)  # fmt: skip
async def create_cycle(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    p = principal_of(request)
    await authorize_studio(ctx.db, p, studio_id, StudioAction.ACTIVITY_MANAGE)
    body = await read_json(request, CycleIn)
    cycle = Cycle(
        id=new_id(), studio_id=studio_id, title=body.title.strip(), created_by=p.user_id, created_at=now()
    )
    async with ctx.db.transaction() as session:
        session.add(cycle)
    return json_response(await _cycle_out(request, cycle), status=201)


@routes.route("GET", "/api/studios/{studio_id}/cycles", summary="The studio's cycles with their steps, newest "
              "first", response=CycleOut, response_list=True)  # fmt: skip
async def list_cycles(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    studio_id = request.match_info["studio_id"]
    await authorize_studio(ctx.db, principal_of(request), studio_id, StudioAction.VIEW)
    async with ctx.db.session() as session:
        cycles = list(
            await session.scalars(
                select(Cycle).where(Cycle.studio_id == studio_id).order_by(Cycle.created_at.desc()).limit(200)
            )
        )
    return json_response([await _cycle_out(request, c) for c in cycles])


@routes.route("POST", "/api/cycles/{cycle_id}/steps", summary="Add the cycle's next room; its lesson plan "
              "starts as the previous room's final version (the first's from the template)", body=StepIn,
              response=ActivityOut, status=201,
              errors=((Conflict, "cycle_closed"), (Conflict, "cycle_conflict")))  # fmt: skip
async def add_cycle_step(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    cycle = await _cycle(request, StudioAction.ACTIVITY_MANAGE)
    body = await read_json(request, StepIn)
    if body.starts_at is not None and body.ends_at is not None and body.ends_at < body.starts_at:
        raise ValidationError("ends_at: must not be before starts_at", code="validation")
    async with ctx.db.session() as session:
        steps = await steps_of(session, cycle.id)
    if steps and steps[-1].stage == "showcase":
        raise Conflict("the cycle ended with its showcase", code="cycle_closed")
    if steps and body.stage == "prep":
        raise ValidationError("stage: collective preparation (prep) opens a cycle", code="stage_order")
    p = principal_of(request)
    room, link = await add_step(ctx.db, _live(request), cycle, body, p.user_id)
    return json_response(activity_out(room, link, ctx.settings.rooms_default_seats, "host"), status=201)


@routes.route("GET", "/api/cycles/{cycle_id}", summary="The cycle view: drafts with diffs between them, each "
              "step's recordings, rubric averages per criterion step over step, observation results",
              response=CycleView)  # fmt: skip
async def get_cycle(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    cycle = await _cycle(request, StudioAction.VIEW)
    out = await _cycle_out(request, cycle)
    async with ctx.db.session() as session:
        steps = await steps_of(session, cycle.id)
        rooms = {
            r.id: r
            for r in await session.scalars(select(Room).where(Room.id.in_([s.room_id for s in steps])))
        }
    draft_list, rows = await drafts(ctx, steps)
    trials = [await trial(ctx, rooms[s.room_id], s) for s in steps]
    view = CycleView(cycle=out, drafts=draft_list, diffs=diffs(rows, draft_list), trials=trials,
                     criteria=criteria_over_trials(trials))  # fmt: skip
    return json_response(view)
