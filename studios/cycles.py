"""The lesson-study cycle (课例研磨): a studio's rooms in order, one lesson plan carried from each to the next.

Each step is a studio room with a position and a stage (集体备课 prep → 第一次试讲 trial → 第二次试讲 trial →
展示 showcase) and one lesson-plan document. Adding the next step closes the previous one: its final version
is the draft the previous room ended with (saved as the next numbered version when the plan changed since the
last one), and the new room's plan starts as that draft. The new document also carries the previous versions,
so numbering runs across the cycle (第一稿, 第二稿 …) and the next save in the new room is the next number.
The room's rubric goes along too, so the criteria compare trial over trial.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from collab.api import LiveDocuments
from collab.models import Document, DocUpdate, DocVersion
from collab.prosemirror import read_state
from collab.template import initial_state
from collab.versions import save_version
from evaluation import rubrics
from rooms.api import Room, RoomIn
from server.db import Database, now
from server.errors import Conflict
from studios.activities import create_room
from studios.models import Cycle, StudioRoom
from studios.schemas import StepIn

_ORDINALS = "一二三四五六七八九十"


def stage_title(stage: str, trial_number: int) -> str:
    if stage == "prep":
        return "集体备课"
    if stage == "showcase":
        return "展示"
    n = _ORDINALS[trial_number - 1] if 1 <= trial_number <= 10 else str(trial_number)
    return f"第{n}次试讲"


async def steps_of(session: AsyncSession, cycle_id: str) -> list[StudioRoom]:
    rows = await session.scalars(
        select(StudioRoom).where(StudioRoom.cycle_id == cycle_id).order_by(StudioRoom.position)
    )
    return list(rows)


async def final_version(db: Database, live: LiveDocuments, doc_id: str, user_id: int) -> DocVersion:
    """The draft a step ends with: its latest version, or — when the plan changed since (or none was
    saved) — the current content saved as the next numbered version."""
    state = await live.state(doc_id)
    async with db.session() as session:
        latest = await session.scalar(
            select(DocVersion).where(DocVersion.doc_id == doc_id).order_by(DocVersion.number.desc()).limit(1)
        )
    if latest is not None and read_state(latest.state) == read_state(state):
        return latest
    return await save_version(db, doc_id, state, user_id)


async def add_step(
    db: Database, live: LiveDocuments, cycle: Cycle, body: StepIn, user_id: int
) -> tuple[Room, StudioRoom]:
    """Create the cycle's next room; its lesson plan starts as the previous step's final version (the
    first step's from the lesson-plan template)."""
    async with db.session() as session:
        steps = await steps_of(session, cycle.id)
    previous = steps[-1] if steps else None
    final: DocVersion | None = None
    if previous is not None and previous.doc_id is not None:
        final = await final_version(db, live, previous.doc_id, user_id)
    trials = sum(1 for s in steps if s.stage == "trial") + (1 if body.stage == "trial" else 0)
    title = body.title or f"《{cycle.title}》{stage_title(body.stage, trials)}"
    room_in = RoomIn.model_validate(
        {"title": title, "kind": body.stage, "starts_at": body.starts_at, "ends_at": body.ends_at}
    )
    t = now()
    try:
        async with db.transaction() as session:
            room, link = await create_room(
                session, studio_id=cycle.studio_id, body=room_in, roles=body.roles, user_id=user_id,
                cycle_id=cycle.id, position=(previous.position or 0) + 1 if previous else 1, stage=body.stage,
            )  # fmt: skip
            doc = Document(id=uuid.uuid4().hex[:16], room_id=room.id, title=f"《{cycle.title}》教案",
                           created_by=user_id, created_at=t, updated_at=t)  # fmt: skip
            session.add(doc)
            if final is None or previous is None:
                session.add(DocUpdate(doc_id=doc.id, data=initial_state("lesson_plan"), created_at=t))
            else:
                session.add(DocUpdate(doc_id=doc.id, data=final.state, created_at=t))
                await _carry_versions(session, previous.doc_id or "", doc.id, final.number)
                await _carry_rubric(session, previous.room_id, room.id, user_id)
                prev = await session.get(StudioRoom, previous.room_id)
                assert prev is not None
                prev.final_version_id = final.id
            link.doc_id = doc.id
    except IntegrityError:
        raise Conflict(
            "another step was added to the cycle at the same time; retry", code="cycle_conflict"
        ) from None
    return room, link


async def _carry_versions(session: AsyncSession, from_doc: str, to_doc: str, up_to: int) -> None:
    rows = await session.scalars(
        select(DocVersion)
        .where(DocVersion.doc_id == from_doc, DocVersion.number <= up_to)
        .order_by(DocVersion.number)
    )
    for v in list(rows):
        session.add(DocVersion(id=uuid.uuid4().hex[:16], doc_id=to_doc, number=v.number, name=v.name, state=v.state,
                               created_by=v.created_by, created_at=v.created_at))  # fmt: skip


async def _carry_rubric(session: AsyncSession, from_room: str, to_room: str, user_id: int) -> None:
    rubric = await rubrics.current(session, from_room)
    if rubric is None:
        return
    body = rubrics.RubricBody.model_validate(rubric.model_dump(include=set(rubrics.RubricBody.model_fields)))
    await rubrics.add_version(session, to_room, body, template_key=rubric.template, user_id=user_id)
