"""Runs and coded samples: stored (committed) before they are acknowledged, idempotent by client id.

A run is one instrument on one segment, shared by every observer of the room, so interval samples of
different observers refer to the same moments (slot k is ``started_at + k × interval``) and can be
compared. The first observer to start the instrument on a segment starts the run; later ones join it.
"""

from __future__ import annotations

import secrets

from pydantic import BaseModel, Field, FiniteFloat
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from evaluation.labels import t
from evaluation.models import ObservationRun, ObservationSample
from evaluation.observation.analysis import (
    Result,
    analyse,
    consensus,
    count_agreement,
    interval_agreement,
)
from evaluation.observation.instruments import CODE_PATTERN, KEY_PATTERN, Instrument, instrument
from evaluation.program import check_segment, program_time
from evaluation.scores import is_anonymous
from server.context import AppContext
from server.db import now
from server.errors import NotFound, ValidationError
from server.models import User

MAX_RUN_SECONDS = 8 * 3600.0  # no lesson segment is longer; bounds slots and event ages
MAX_SLOTS = 5760  # 8 h at the shortest interval (5 s)


class RunIn(BaseModel):
    segment_id: str = Field(pattern=KEY_PATTERN)
    instrument: str = Field(pattern=KEY_PATTERN)
    interval_seconds: FiniteFloat | None = Field(default=None, ge=5, le=600)  # default: the instrument's


class RunOut(BaseModel):
    id: str
    room_id: str
    segment_id: str
    instrument: str
    interval_seconds: float | None
    started_at: float
    server_now: float  # lets the client put its prompts on the run's grid whatever its own clock says


class SampleIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    slot: int | None = Field(default=None, ge=0, lt=MAX_SLOTS)  # interval instruments
    client_id: str | None = Field(default=None, pattern=KEY_PATTERN)  # event instruments
    at: FiniteFloat | None = None  # event instruments: client clock at the event (offline)
    client_now: FiniteFloat | None = None  # client clock when sent


class SampleOut(BaseModel):
    id: str
    run_id: str
    client_id: str
    slot: int | None
    code: str
    at: float
    updated_at: float


class Mine(BaseModel):
    run: RunOut
    samples: list[SampleOut]
    result: Result


class ObserverResult(BaseModel):
    observer: str  # display name, or 观察者 n in anonymous mode
    result: Result


class RunAnalysis(BaseModel):
    """Every observer's analysis of a run, the combined one, and how far observers agree."""

    run: RunOut
    instrument: Instrument
    observers: list[ObserverResult]
    combined: Result  # interval: of the consensus sequence; event: of all events pooled
    agreement: float | None  # percent, None with fewer than two observers
    anonymous: bool


def run_out(ctx: AppContext, row: ObservationRun) -> RunOut:
    # program times are on the deployment's one clock, which also stamps notes and hand-offs
    return RunOut(
        id=row.id, room_id=row.room_id, segment_id=row.segment_id, instrument=row.instrument,
        interval_seconds=row.interval_seconds, started_at=row.started_at, server_now=ctx.cluster.clock.now(),
    )  # fmt: skip


def sample_out(row: ObservationSample) -> SampleOut:
    return SampleOut(
        id=row.id, run_id=row.run_id, client_id=row.client_id, slot=row.slot, code=row.code, at=row.at,
        updated_at=row.updated_at,
    )  # fmt: skip


async def _find_run(ctx: AppContext, room_id: str, segment_id: str, key: str) -> ObservationRun | None:
    async with ctx.db.session() as session:
        return await session.scalar(
            select(ObservationRun).where(
                ObservationRun.room_id == room_id,
                ObservationRun.segment_id == segment_id,
                ObservationRun.instrument == key,
            )
        )


async def start(ctx: AppContext, room_id: str, user_id: int, data: RunIn) -> tuple[RunOut, bool]:
    """The run of ``data.instrument`` on the segment, started now unless someone already did."""
    found = instrument(data.instrument)
    await check_segment(ctx, room_id, data.segment_id)
    existing = await _find_run(ctx, room_id, data.segment_id, found.key)
    if existing is not None:
        return run_out(ctx, existing), False
    interval = (data.interval_seconds or found.interval_seconds) if found.mode == "interval" else None
    row = ObservationRun(
        id=secrets.token_hex(8), room_id=room_id, segment_id=data.segment_id, instrument=found.key,
        interval_seconds=interval, started_at=ctx.cluster.clock.now(), started_by=user_id,
    )  # fmt: skip
    try:
        async with ctx.db.transaction() as session:
            session.add(row)
    except IntegrityError:
        won = await _find_run(ctx, room_id, data.segment_id, found.key)  # another observer, same moment
        if won is None:
            raise
        return run_out(ctx, won), False
    return run_out(ctx, row), True


async def runs(ctx: AppContext, room_id: str, segment_id: str | None = None) -> list[RunOut]:
    query = select(ObservationRun).where(ObservationRun.room_id == room_id)
    if segment_id is not None:
        query = query.where(ObservationRun.segment_id == segment_id)
    async with ctx.db.session() as session:
        rows = await session.scalars(query.order_by(ObservationRun.started_at))
        return [run_out(ctx, r) for r in rows]


async def get_run(ctx: AppContext, room_id: str, run_id: str) -> ObservationRun:
    async with ctx.db.session() as session:
        row = await session.get(ObservationRun, run_id)
    if row is None or row.room_id != room_id:
        raise NotFound(f"observation {run_id} not found", code="observation_not_found")
    return row


def _placed(
    run: ObservationRun, spec: Instrument, data: SampleIn, server_now: float
) -> tuple[str, int | None, float]:
    """Client id, slot and program time of a sample, or a ValidationError."""
    if spec.code(data.code) is None:
        raise ValidationError(f"code: {data.code!r} is not a code of {spec.name}", code="bad_code")
    if spec.mode == "interval":
        if data.slot is None:
            raise ValidationError("slot: required for a time-sampled instrument", code="slot_required")
        assert run.interval_seconds is not None
        if data.slot * run.interval_seconds > MAX_RUN_SECONDS:
            raise ValidationError("slot: beyond the longest lesson", code="bad_slot")
        return f"slot-{data.slot}", data.slot, run.started_at + data.slot * run.interval_seconds
    if data.client_id is None:
        raise ValidationError("client_id: required for an event instrument", code="client_id_required")
    return data.client_id, None, program_time(server_now, data.at, data.client_now, max_age=MAX_RUN_SECONDS)


async def code(
    ctx: AppContext, room_id: str, run_id: str, user_id: int, data: SampleIn
) -> tuple[SampleOut, bool]:
    """Store one code; a slot coded again is corrected, an event sent again is returned as stored.
    Returns the sample and whether anything changed."""
    run = await get_run(ctx, room_id, run_id)
    spec = instrument(run.instrument)
    client_id, slot, at = _placed(run, spec, data, ctx.cluster.clock.now())
    for _ in range(2):  # a concurrent first insert of the same client id makes the second try an update
        try:
            async with ctx.db.transaction() as session:
                row = await session.scalar(
                    select(ObservationSample).where(
                        ObservationSample.run_id == run_id,
                        ObservationSample.observer_id == user_id,
                        ObservationSample.client_id == client_id,
                    )
                )
                if row is not None:
                    if slot is None or row.code == data.code:
                        return sample_out(row), False
                    row.code, row.updated_at = data.code, now()
                    return sample_out(row), True
                t = now()
                row = ObservationSample(
                    id=secrets.token_hex(8), run_id=run_id, observer_id=user_id, client_id=client_id,
                    slot=slot, code=data.code, at=at, created_at=t, updated_at=t,
                )  # fmt: skip
                session.add(row)
            return sample_out(row), True
        except IntegrityError:
            continue
    raise ValidationError("the sample was changed concurrently; send it again", code="sample_conflict")


async def _samples(ctx: AppContext, run_id: str) -> list[tuple[ObservationSample, str]]:
    async with ctx.db.session() as session:
        rows = await session.execute(
            select(ObservationSample, User.display_name)
            .join(User, User.id == ObservationSample.observer_id)
            .where(ObservationSample.run_id == run_id)
            .order_by(ObservationSample.at, ObservationSample.created_at)
        )
        return [(s, name) for s, name in rows.all()]


def sequence(samples: list[ObservationSample]) -> list[str]:
    """One observer's codes in lesson order (slot order for time sampling, time order for events)."""
    return [s.code for s in sorted(samples, key=lambda s: (s.slot if s.slot is not None else 0, s.at))]


async def mine(ctx: AppContext, room_id: str, run_id: str, user_id: int) -> Mine:
    run = await get_run(ctx, room_id, run_id)
    own = [s for s, _ in await _samples(ctx, run_id) if s.observer_id == user_id]
    spec = instrument(run.instrument)
    return Mine(
        run=run_out(ctx, run), samples=[sample_out(s) for s in own], result=analyse(spec, sequence(own))
    )


def combine(spec: Instrument, by_observer: list[list[ObservationSample]]) -> tuple[Result, float | None]:
    """The combined result and the observers' agreement (percent)."""
    if spec.mode == "interval":
        codings = [{s.slot: s.code for s in own if s.slot is not None} for own in by_observer]
        agreed = [c for _, c in consensus(spec, codings)]
        return analyse(spec, agreed), interval_agreement(codings)
    pooled = sorted((s for own in by_observer for s in own), key=lambda s: s.at)
    counts = [analyse(spec, sequence(own)).counts for own in by_observer]
    return analyse(spec, [s.code for s in pooled]), count_agreement(counts)


async def analysis(ctx: AppContext, room_id: str, run_id: str) -> RunAnalysis:
    run = await get_run(ctx, room_id, run_id)
    spec = instrument(run.instrument)
    grouped: dict[int, list[ObservationSample]] = {}
    names: dict[int, str] = {}
    for s, name in await _samples(ctx, run_id):
        grouped.setdefault(s.observer_id, []).append(s)
        names[s.observer_id] = name
    async with ctx.db.session() as session:
        anonymous = await is_anonymous(session, room_id)
    order = sorted(grouped)  # by user id: stable, and says nothing about who coded first
    observers = [
        ObserverResult(
            observer=t("anonymous_coder", n=i + 1) if anonymous or not names[uid] else names[uid],
            result=analyse(spec, sequence(grouped[uid])),
        )
        for i, uid in enumerate(order)
    ]
    combined, agreement = combine(spec, [grouped[uid] for uid in order])
    return RunAnalysis(
        run=run_out(ctx, run), instrument=spec, observers=observers, combined=combined, agreement=agreement,
        anonymous=anonymous,
    )  # fmt: skip


async def of_segment(ctx: AppContext, room_id: str, segment_id: str) -> list[RunAnalysis]:
    """The analysis of every run on a segment that has samples (for the report)."""
    out = []
    for run in await runs(ctx, room_id, segment_id):
        found = await analysis(ctx, room_id, run.id)
        if found.observers:
            out.append(found)
    return out


class TimedCode(BaseModel):
    """A code on a timeline: the consensus of a slot, or one observer's event."""

    at: float
    run_id: str
    instrument: str
    code: str
    title: str
    color: str


async def timeline(ctx: AppContext, room_id: str, segment_id: str | None = None) -> list[TimedCode]:
    """Every run's codes on the program clock (consensus per slot for time sampling)."""
    out: list[TimedCode] = []
    for run in await runs(ctx, room_id, segment_id):
        spec = instrument(run.instrument)
        samples = [s for s, _ in await _samples(ctx, run.id)]
        if spec.mode == "interval" and run.interval_seconds:
            by: dict[int, dict[int, str]] = {}
            for s in samples:
                if s.slot is not None:
                    by.setdefault(s.observer_id, {})[s.slot] = s.code
            moments = [
                (run.started_at + slot * run.interval_seconds, c)
                for slot, c in consensus(spec, list(by.values()))
            ]
        else:
            moments = [(s.at, s.code) for s in samples]
        for at, c in moments:
            found = spec.code(c)
            if found is not None:
                out.append(TimedCode(at=at, run_id=run.id, instrument=spec.key, code=c, title=found.title,
                                      color=found.color))  # fmt: skip
    return sorted(out, key=lambda p: p.at)
