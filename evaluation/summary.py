"""Everything known about one segment's evaluation, loaded once: what aggregation, push and reports use."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import select

from evaluation import rubrics, scores
from evaluation.aggregate import Aggregate, ScoreSheet, TaggedMoment, aggregate
from evaluation.models import Evaluation, Note
from evaluation.notes import NoteOut, visible
from evaluation.rubrics import Rubric
from server.context import AppContext
from server.errors import NotFound


class SegmentAggregate(BaseModel):
    room_id: str
    segment_id: str
    rubric_id: str | None
    rubric_version: int | None
    other_versions: dict[str, int]  # rubric id -> evaluations given against another version
    closed: bool
    anonymous: bool
    aggregate: Aggregate | None


@dataclass
class SegmentData:
    rubric: Rubric | None
    evaluations: list[scores.EvaluationOut]  # against ``rubric`` only
    notes: list[NoteOut]  # shared notes of the segment
    summary: SegmentAggregate


async def load(
    ctx: AppContext, room_id: str, segment_id: str, *, rubric_id: str | None = None
) -> SegmentData:
    async with ctx.db.session() as session:
        rubric = (
            await rubrics.get(session, rubric_id, room_id)
            if rubric_id
            else await rubrics.current(session, room_id)
        )
        raw = list(
            await session.scalars(
                select(Evaluation).where(Evaluation.room_id == room_id, Evaluation.segment_id == segment_id)
            )
        )
        tagged = list(
            await session.scalars(
                select(Note).where(
                    Note.room_id == room_id, Note.segment_id == segment_id, Note.shared_at.is_not(None)
                )
            )
        )
    if rubric_id and rubric is None:
        raise NotFound(f"rubric {rubric_id} not found", code="rubric_not_found")
    evaluations, anonymous = await scores.of_segment(ctx, room_id, segment_id)
    state = (await scores.segments(ctx, room_id, only=segment_id))[0]
    others: dict[str, int] = {}
    for e in raw:
        if rubric is None or e.rubric_id != rubric.id:
            others[e.rubric_id] = others.get(e.rubric_id, 0) + 1
    agg = None
    mine = [e for e in evaluations if rubric is not None and e.rubric_id == rubric.id]
    if rubric is not None:
        sheets = [
            ScoreSheet({k: float(v["score"]) for k, v in json.loads(e.scores).items()})
            for e in raw
            if e.rubric_id == rubric.id
        ]
        moments = [TaggedMoment(n.at, n.kind, n.criterion) for n in tagged]
        agg = aggregate(rubric, sheets, moments, bucket_seconds=ctx.settings.evaluation_moment_seconds)
    summary = SegmentAggregate(
        room_id=room_id, segment_id=segment_id, rubric_id=rubric.id if rubric else None,
        rubric_version=rubric.version if rubric else None, other_versions=others, closed=state.closed,
        anonymous=anonymous, aggregate=agg,
    )  # fmt: skip
    notes = await visible(ctx, room_id, 0, segment_id=segment_id, shared_only=True)
    return SegmentData(rubric, mine, notes, summary)
