"""REST and Socket.IO paths of structured observation.

REST: the shipped instruments; start (or join) a run on a segment; code a moment; one's own samples and
analysis; for hosts and moderators the analysis across observers.
Socket.IO (client → server, answered through the ack):
  ``obs:code {room_id, run_id, code, slot?, client_id?, at?, client_now?}`` → ``{ok, sample, changed, result}``.
Server → client: ``obs:aggregate {room_id, run_id}`` to ``room:{room_id}:mod`` after every change.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from evaluation.observation import samples
from evaluation.observation.instruments import Instrument, instrument, instruments
from evaluation.routes import allow
from rooms.api import Action, authorize, mod_channel
from server.api import ApiRoutes, json_response, read_json
from server.context import AppContext
from server.http import principal_of
from server.realtime import Reply, principal_of_sid

routes = ApiRoutes("evaluation")


class Coded(samples.Mine):
    sample: samples.SampleOut
    changed: bool


async def _pushed(ctx: AppContext, room_id: str, run_id: str) -> None:
    await ctx.sio.emit("obs:aggregate", {"room_id": room_id, "run_id": run_id}, room=mod_channel(room_id))


async def code_and_push(
    ctx: AppContext, room_id: str, run_id: str, user_id: int, body: samples.SampleIn
) -> Coded:
    sample, changed = await samples.code(ctx, room_id, run_id, user_id, body)
    if changed:
        await _pushed(ctx, room_id, run_id)
    mine = await samples.mine(ctx, room_id, run_id, user_id)
    return Coded(sample=sample, changed=changed, **dict(mine))


@routes.route("GET", "/api/observation-instruments", summary="Shipped observation instruments (Chinese)",
              response=Instrument, response_list=True)  # fmt: skip
async def list_instruments(request: web.Request) -> web.Response:
    principal_of(request)
    return json_response(list(instruments().values()))


@routes.route("GET", "/api/observation-instruments/{key}", summary="One observation instrument",
              response=Instrument)  # fmt: skip
async def get_instrument(request: web.Request) -> web.Response:
    principal_of(request)
    return json_response(instrument(request.match_info["key"]))


@routes.route("GET", "/api/rooms/{room_id}/observations", summary="The room's observation runs",
              response=samples.RunOut, response_list=True, query={"segment_id": "only this segment"})  # fmt: skip
async def list_runs(request: web.Request) -> web.Response:
    c = await allow(request, Action.ROOM_VIEW)
    return json_response(await samples.runs(c.ctx, c.room_id, request.query.get("segment_id")))


@routes.route("POST", "/api/rooms/{room_id}/observations",
              summary="Start an instrument on a segment, or join the run already started (200)",
              body=samples.RunIn, response=samples.RunOut, status=201)  # fmt: skip
async def start_run(request: web.Request) -> web.Response:
    c = await allow(request, Action.OBSERVATION_CODE)
    body = await read_json(request, samples.RunIn)
    run, created = await samples.start(c.ctx, c.room_id, c.user_id, body)
    return json_response(run, status=201 if created else 200)


@routes.route("GET", "/api/rooms/{room_id}/observations/{run_id}/mine", summary="My samples of a run and their analysis",
              response=samples.Mine)  # fmt: skip
async def get_mine(request: web.Request) -> web.Response:
    c = await allow(request, Action.OBSERVATION_CODE)
    return json_response(await samples.mine(c.ctx, c.room_id, request.match_info["run_id"], c.user_id))


@routes.route("PUT", "/api/rooms/{room_id}/observations/{run_id}/samples",
              summary="Code a moment (a slot again corrects it; an event's client_id makes retries idempotent)",
              body=samples.SampleIn, response=Coded)  # fmt: skip
async def put_sample(request: web.Request) -> web.Response:
    c = await allow(request, Action.OBSERVATION_CODE)
    body = await read_json(request, samples.SampleIn)
    return json_response(await code_and_push(c.ctx, c.room_id, request.match_info["run_id"], c.user_id, body))


@routes.route("GET", "/api/rooms/{room_id}/observations/{run_id}/analysis",
              summary="Host: every observer's analysis, the combined one and the observers' agreement",
              response=samples.RunAnalysis)  # fmt: skip
async def get_analysis(request: web.Request) -> web.Response:
    c = await allow(request, Action.EVALUATION_MANAGE)
    return json_response(await samples.analysis(c.ctx, c.room_id, request.match_info["run_id"]))


class CodeIn(samples.SampleIn):
    room_id: str = Field(max_length=32)
    run_id: str = Field(max_length=32)


def install(ctx: AppContext) -> None:
    @ctx.realtime.event("obs:code", CodeIn)
    async def obs_code(sid: str, body: CodeIn) -> Reply:
        principal = await principal_of_sid(ctx.sio, sid)
        await authorize(ctx.db, principal, body.room_id, Action.OBSERVATION_CODE)
        data = samples.SampleIn.model_validate(body.model_dump(exclude={"room_id", "run_id"}))
        out = await code_and_push(ctx, body.room_id, body.run_id, principal.user_id, data)
        return out.model_dump(mode="json")
