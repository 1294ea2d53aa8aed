"""Observation notes (课堂观察记录): private drafts until shared, idempotent by client id.

A note is stored (committed) before it is acknowledged, so an acknowledged note survives a crash; a
retry of the same ``client_id`` by the same author returns the stored note instead of a duplicate.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from pydantic import BaseModel, Field, FiniteFloat
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from evaluation import rubrics
from evaluation.models import Note
from evaluation.program import check_segment, program_time
from evaluation.rubrics import KEY_PATTERN
from server.context import AppContext
from server.errors import Forbidden, NotFound, ValidationError
from server.models import User
from venues.api import main_venue_at


class NoteKind(StrEnum):
    POSITIVE = "positive"  # 亮点
    QUESTION = "question"  # 疑问
    SUGGESTION = "suggestion"  # 建议


class NoteIn(BaseModel):
    client_id: str = Field(pattern=KEY_PATTERN)
    text: str = ""  # empty only for a marker: a kind dropped at a moment, written out later
    kind: NoteKind | None = None
    criterion: str | None = Field(default=None, pattern=KEY_PATTERN)
    segment_id: str | None = Field(default=None, pattern=KEY_PATTERN)
    venue_id: str | None = Field(default=None, max_length=32)
    at: FiniteFloat | None = None  # client clock when written (offline notes)
    client_now: FiniteFloat | None = None  # client clock when sent
    shared: bool = False


class NotePatch(BaseModel):
    text: str | None = Field(default=None, min_length=1)
    kind: NoteKind | None = None
    criterion: str | None = Field(default=None, pattern=KEY_PATTERN)
    shared: bool | None = None


class NoteOut(BaseModel):
    id: str
    room_id: str
    client_id: str
    author_id: int
    author_name: str
    segment_id: str | None
    at: float
    venue_id: str | None
    text: str
    kind: NoteKind | None
    criterion: str | None
    shared: bool
    shared_at: float | None
    created_at: float
    updated_at: float


MAX_AGE = 24 * 3600.0


def to_out(note: Note, author_name: str) -> NoteOut:
    return NoteOut(
        id=note.id, room_id=note.room_id, client_id=note.client_id, author_id=note.author_id,
        author_name=author_name, segment_id=note.segment_id, at=note.at, venue_id=note.venue_id,
        text=note.text, kind=NoteKind(note.kind) if note.kind else None, criterion=note.criterion,
        shared=note.shared_at is not None, shared_at=note.shared_at, created_at=note.created_at,
        updated_at=note.updated_at,
    )  # fmt: skip


def _check_text(ctx: AppContext, text: str, *, marker: bool = False) -> str:
    text = text.strip()
    limit = ctx.settings.evaluation_note_max_chars
    if not text and not marker:
        raise ValidationError("text: a note without a kind cannot be empty", code="note_empty")
    if len(text) > limit:
        raise ValidationError(f"text: a note has at most {limit} characters", code="note_too_long")
    return text


async def _check_criterion(ctx: AppContext, room_id: str, criterion: str | None) -> None:
    if criterion is None:
        return
    async with ctx.db.session() as session:
        rubric = await rubrics.current(session, room_id)
    if rubric is None or rubric.criterion(criterion) is None:
        raise ValidationError(f"criterion: {criterion!r} is not in the room's rubric", code="bad_criterion")


async def _name(ctx: AppContext, user_id: int) -> str:
    async with ctx.db.session() as session:
        user = await session.get(User, user_id)
    return user.display_name if user else ""


async def add(ctx: AppContext, room_id: str, user_id: int, data: NoteIn) -> tuple[NoteOut, bool]:
    """Store a note (or find the one stored by an earlier try); returns it and whether it is new."""
    async with ctx.db.session() as session:
        existing = await session.scalar(
            select(Note).where(
                Note.room_id == room_id, Note.author_id == user_id, Note.client_id == data.client_id
            )
        )
    if existing is not None:
        return to_out(existing, await _name(ctx, user_id)), False
    text = _check_text(ctx, data.text, marker=data.kind is not None)
    await _check_criterion(ctx, room_id, data.criterion)
    if data.segment_id is not None:
        await check_segment(ctx, room_id, data.segment_id)
    t = ctx.cluster.clock.now()  # the deployment's one time: notes and hand-offs are compared
    at = program_time(t, data.at, data.client_now, max_age=MAX_AGE)
    note = Note(
        id=secrets.token_hex(8), room_id=room_id, author_id=user_id, client_id=data.client_id,
        segment_id=data.segment_id, at=at, venue_id=await main_venue_at(ctx.db, room_id, at, data.venue_id),
        text=text, kind=data.kind.value if data.kind else None, criterion=data.criterion,
        shared_at=t if data.shared else None, created_at=t, updated_at=t,
    )  # fmt: skip
    try:
        async with ctx.db.transaction() as session:
            session.add(note)
    except IntegrityError:
        # The same client id raced in from another connection (a reconnect): the first one won.
        async with ctx.db.session() as session:
            won = await session.scalar(
                select(Note).where(
                    Note.room_id == room_id, Note.author_id == user_id, Note.client_id == data.client_id
                )
            )
        if won is None:
            raise
        return to_out(won, await _name(ctx, user_id)), False
    return to_out(note, await _name(ctx, user_id)), True


async def update(
    ctx: AppContext, room_id: str, note_id: str, user_id: int, patch: NotePatch
) -> tuple[NoteOut, bool]:
    """Edit or share one's own note; returns it and whether it is (now) visible to the room."""
    if patch.shared is False:
        raise ValidationError("shared: a shared note cannot be made private again", code="cannot_unshare")
    if patch.criterion is not None:
        await _check_criterion(ctx, room_id, patch.criterion)
    async with ctx.db.transaction() as session:
        note = await session.get(Note, note_id)
        if note is None or note.room_id != room_id:
            raise NotFound(f"note {note_id} not found", code="note_not_found")
        if note.author_id != user_id:
            raise Forbidden("only its author may change a note", code="not_author")
        if patch.text is not None:
            note.text = _check_text(ctx, patch.text)
        if "kind" in patch.model_fields_set:
            note.kind = patch.kind.value if patch.kind else None
        if "criterion" in patch.model_fields_set:
            note.criterion = patch.criterion
        if patch.shared and note.shared_at is None:
            note.shared_at = ctx.cluster.clock.now()
        note.updated_at = ctx.cluster.clock.now()
    return to_out(note, await _name(ctx, user_id)), note.shared_at is not None


async def visible(
    ctx: AppContext, room_id: str, user_id: int, *, segment_id: str | None = None, shared_only: bool = False
) -> list[NoteOut]:
    """Notes ``user_id`` may read: their own drafts and every shared note, in time order."""
    query = (
        select(Note, User.display_name).join(User, User.id == Note.author_id).where(Note.room_id == room_id)
    )
    if shared_only:
        query = query.where(Note.shared_at.is_not(None))
    else:
        query = query.where(or_(Note.shared_at.is_not(None), Note.author_id == user_id))
    if segment_id is not None:
        query = query.where(Note.segment_id == segment_id)
    async with ctx.db.session() as session:
        rows = (await session.execute(query.order_by(Note.at, Note.created_at))).all()
    return [to_out(n, name) for n, name in rows]


async def get_shared(ctx: AppContext, room_id: str, note_ids: list[str]) -> list[NoteOut]:
    async with ctx.db.session() as session:
        rows = (
            await session.execute(
                select(Note, User.display_name)
                .join(User, User.id == Note.author_id)
                .where(Note.room_id == room_id, Note.id.in_(note_ids), Note.shared_at.is_not(None))
            )
        ).all()
    found = {n.id: to_out(n, name) for n, name in rows}
    missing = [i for i in note_ids if i not in found]
    if missing:
        raise NotFound(f"no shared note {missing[0]} in this room", code="note_not_found")
    return [found[i] for i in note_ids]
