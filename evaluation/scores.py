"""Evaluations: one per observer per lesson segment, scored against one rubric version.

Editable until the host closes the segment's evaluation. In anonymous mode (the host's choice) what the
host reads carries scores and comments but never who gave them.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from pydantic import BaseModel, Field, FiniteFloat
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation import rubrics
from evaluation.models import Evaluation, EvaluationSettings, SegmentState
from evaluation.program import check_segment
from evaluation.rubrics import KEY_PATTERN, Rubric
from server.context import AppContext
from server.db import now
from server.errors import Conflict, NotFound, ValidationError
from server.models import User


class ScoreIn(BaseModel):
    criterion: str = Field(pattern=KEY_PATTERN)
    score: FiniteFloat
    comment: str = ""


class EvaluationIn(BaseModel):
    rubric_id: str | None = None  # the version the observer saw; default the room's current one
    scores: list[ScoreIn]
    comment: str = ""


class ScoreOut(BaseModel):
    criterion: str
    score: float
    comment: str


class EvaluationOut(BaseModel):
    id: str
    room_id: str
    segment_id: str
    rubric_id: str
    observer_id: int | None  # None in anonymous mode
    observer_name: str | None
    scores: list[ScoreOut]
    comment: str
    created_at: float | None  # None in anonymous mode (times would tell who was who)
    updated_at: float | None


class SegmentOut(BaseModel):
    segment_id: str
    closed: bool
    closed_at: float | None
    evaluations: int


def _check_comment(ctx: AppContext, text: str, field: str) -> str:
    limit = ctx.settings.evaluation_comment_max_chars
    if len(text) > limit:
        raise ValidationError(f"{field}: at most {limit} characters", code="comment_too_long")
    return text.strip()


def check_sheet(ctx: AppContext, rubric: Rubric, data: EvaluationIn) -> dict[str, dict[str, object]]:
    """Validate a submission against its rubric: every criterion once, each score on the scale."""
    sheet: dict[str, dict[str, object]] = {}
    for i, s in enumerate(data.scores):
        criterion = rubric.criterion(s.criterion)
        if criterion is None:
            raise ValidationError(
                f"scores.{i}.criterion: {s.criterion!r} is not in the rubric", code="bad_criterion"
            )
        if s.criterion in sheet:
            raise ValidationError(
                f"scores.{i}.criterion: {criterion.title} is scored twice", code="duplicate_score"
            )
        if not rubric.scale.allows(s.score):
            sc = rubric.scale
            raise ValidationError(
                f"scores.{i}.score: {s.score:g} for {criterion.title} is outside the scale "
                f"{sc.min:g}–{sc.max:g} (step {sc.step:g})",
                code="score_out_of_range",
            )
        sheet[s.criterion] = {
            "score": s.score,
            "comment": _check_comment(ctx, s.comment, f"scores.{i}.comment"),
        }
    missing = [c.title for c in rubric.criteria if c.key not in sheet]
    if missing:
        raise ValidationError(f"scores: missing a score for {', '.join(missing)}", code="missing_score")
    return sheet


def to_out(row: Evaluation, name: str | None, *, anonymous: bool) -> EvaluationOut:
    raw: dict[str, dict[str, object]] = json.loads(row.scores)
    return EvaluationOut(
        id=row.id, room_id=row.room_id, segment_id=row.segment_id, rubric_id=row.rubric_id,
        observer_id=None if anonymous else row.observer_id, observer_name=None if anonymous else name,
        scores=[ScoreOut(criterion=k, score=float(v["score"]), comment=str(v.get("comment") or "")) for k, v in raw.items()],  # type: ignore[arg-type]
        comment=row.comment, created_at=None if anonymous else row.created_at,
        updated_at=None if anonymous else row.updated_at,
    )  # fmt: skip


def _own(room_id: str, segment_id: str, user_id: int) -> Select[Evaluation]:
    """The one evaluation an observer gives a segment."""
    return select(Evaluation).where(
        Evaluation.room_id == room_id, Evaluation.segment_id == segment_id, Evaluation.observer_id == user_id
    )


async def is_anonymous(session: AsyncSession, room_id: str) -> bool:
    row = await session.get(EvaluationSettings, room_id)
    return bool(row and row.anonymous)


async def set_anonymous(ctx: AppContext, room_id: str, anonymous: bool) -> None:
    async with ctx.db.transaction() as session:
        row = await session.get(EvaluationSettings, room_id)
        if row is None:
            session.add(EvaluationSettings(room_id=room_id, anonymous=anonymous, updated_at=now()))
        else:
            row.anonymous = anonymous
            row.updated_at = now()


async def submit(
    ctx: AppContext, room_id: str, segment_id: str, user_id: int, data: EvaluationIn
) -> EvaluationOut:
    """Create or replace the caller's evaluation of the segment; refused once the segment is closed."""
    overall = _check_comment(ctx, data.comment, "comment")
    await check_segment(ctx, room_id, segment_id)
    for _attempt in range(2):
        try:
            async with ctx.db.transaction() as session:
                state = await session.get(SegmentState, (room_id, segment_id))
                if state is not None and state.closed_at is not None:
                    raise Conflict("evaluation of this segment is closed", code="evaluation_closed")
                if data.rubric_id:
                    rubric = await rubrics.get(session, data.rubric_id, room_id)
                else:
                    found = await rubrics.current(session, room_id)
                    if found is None:
                        raise Conflict("the host has not chosen a rubric yet", code="no_rubric")
                    rubric = found
                sheet = check_sheet(ctx, rubric, data)
                row = await session.scalar(_own(room_id, segment_id, user_id))
                t = now()
                if row is None:
                    row = Evaluation(
                        id=secrets.token_hex(8), room_id=room_id, segment_id=segment_id,
                        observer_id=user_id, created_at=t,
                    )  # fmt: skip
                    session.add(row)
                row.rubric_id = rubric.id
                row.scores = json.dumps(sheet, ensure_ascii=False)
                row.comment = overall
                row.updated_at = t
                user = await session.get(User, user_id)
            return to_out(row, user.display_name if user else None, anonymous=False)
        except IntegrityError:
            continue  # two first submissions raced; the second try updates the winner's row
    raise Conflict("could not store the evaluation, try again", code="retry")


async def mine(ctx: AppContext, room_id: str, segment_id: str, user_id: int) -> EvaluationOut:
    async with ctx.db.session() as session:
        row = await session.scalar(_own(room_id, segment_id, user_id))
        user = await session.get(User, user_id)
    if row is None:
        raise NotFound("you have not evaluated this segment yet", code="evaluation_not_found")
    return to_out(row, user.display_name if user else None, anonymous=False)


async def of_segment(ctx: AppContext, room_id: str, segment_id: str) -> tuple[list[EvaluationOut], bool]:
    """Every evaluation of the segment as the host may see them, and whether the room is anonymous.

    Anonymous lists are ordered by a hash of the evaluation id, not by time or observer."""
    async with ctx.db.session() as session:
        anonymous = await is_anonymous(session, room_id)
        rows = (
            await session.execute(
                select(Evaluation, User.display_name)
                .join(User, User.id == Evaluation.observer_id)
                .where(Evaluation.room_id == room_id, Evaluation.segment_id == segment_id)
                .order_by(Evaluation.created_at)
            )
        ).all()
    out = [to_out(e, name, anonymous=anonymous) for e, name in rows]
    if anonymous:
        out.sort(key=lambda e: hashlib.sha256(e.id.encode()).hexdigest())
    return out, anonymous


async def set_closed(
    ctx: AppContext, room_id: str, segment_id: str, user_id: int, closed: bool
) -> SegmentOut:
    async with ctx.db.transaction() as session:
        state = await session.get(SegmentState, (room_id, segment_id))
        if state is None:
            state = SegmentState(room_id=room_id, segment_id=segment_id)
            session.add(state)
        state.closed_at = now() if closed else None
        state.closed_by = user_id if closed else None
    return (await segments(ctx, room_id, only=segment_id))[0]


async def segments(ctx: AppContext, room_id: str, *, only: str | None = None) -> list[SegmentOut]:
    """Segments that have evaluations or a state, with their counts."""
    async with ctx.db.session() as session:
        states = {
            s.segment_id: s
            for s in await session.scalars(select(SegmentState).where(SegmentState.room_id == room_id))
        }
        counts: dict[str, int] = {}
        for seg in await session.scalars(select(Evaluation.segment_id).where(Evaluation.room_id == room_id)):
            counts[seg] = counts.get(seg, 0) + 1
    ids = sorted(set(states) | set(counts)) if only is None else [only]
    return [
        SegmentOut(
            segment_id=i,
            closed=bool(states.get(i) and states[i].closed_at is not None),
            closed_at=states[i].closed_at if i in states else None,
            evaluations=counts.get(i, 0),
        )  # fmt: skip
        for i in ids
    ]
