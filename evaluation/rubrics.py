"""Rubrics (评课量表): the shipped Chinese templates, validation of a rubric, and its versions per room.

A rubric is data: criteria (key, title, descriptor, weight) and one scale (min, max, step, labels).
Every change of a room's rubric stores a new immutable version; evaluations keep the id of the version
they were given against, so old scores are never reinterpreted by a new rubric.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from importlib import resources

from pydantic import BaseModel, Field, FiniteFloat, model_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.models import RubricVersion
from server.db import now
from server.errors import NotFound

KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class Criterion(BaseModel):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=100)
    descriptor: str = Field(default="", max_length=2000)
    weight: FiniteFloat = Field(gt=0, le=1000)


class Scale(BaseModel):
    min: FiniteFloat = 1
    max: FiniteFloat = 5
    step: FiniteFloat = Field(default=1, gt=0)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError("scale.max must be greater than scale.min")
        if (self.max - self.min) / self.step > 100:
            raise ValueError("scale has more than 100 steps")
        return self

    def points(self) -> list[float]:
        """Every allowed score, min to max."""
        n = round((self.max - self.min) / self.step)
        return [round(self.min + i * self.step, 6) for i in range(n + 1)]

    def allows(self, score: float) -> bool:
        if not self.min - 1e-9 <= score <= self.max + 1e-9:
            return False
        steps = (score - self.min) / self.step
        return abs(steps - round(steps)) < 1e-6


class RubricBody(BaseModel):
    """What the host edits: a rubric without identity or version."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    scale: Scale = Field(default_factory=Scale)
    criteria: list[Criterion] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_keys(self) -> RubricBody:
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        return self

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


class Template(RubricBody):
    key: str


class Rubric(RubricBody):
    """One stored version of a room's rubric."""

    id: str
    room_id: str
    version: int
    template: str | None = None
    created_at: float


TEMPLATE_FILES = ("general.json", "core_literacy.json")


@cache
def templates() -> dict[str, Template]:
    """The shipped templates (``evaluation/templates/*.json``), keyed by template key."""
    out: dict[str, Template] = {}
    folder = resources.files("evaluation") / "templates"
    for name in TEMPLATE_FILES:
        tpl = Template.model_validate(json.loads((folder / name).read_text(encoding="utf-8")))
        out[tpl.key] = tpl
    return out


def template(key: str) -> Template:
    found = templates().get(key)
    if found is None:
        raise NotFound(f"no rubric template {key!r}", code="template_not_found")
    return found


def to_rubric(row: RubricVersion) -> Rubric:
    body = RubricBody.model_validate_json(row.body)
    return Rubric(
        id=row.id, room_id=row.room_id, version=row.version, template=row.template,
        created_at=row.created_at, **body.model_dump(),
    )  # fmt: skip


async def add_version(
    session: AsyncSession, room_id: str, body: RubricBody, *, template_key: str | None, user_id: int
) -> Rubric:
    latest = await session.scalar(
        select(func.max(RubricVersion.version)).where(RubricVersion.room_id == room_id)
    )
    row = RubricVersion(
        id=secrets.token_hex(8), room_id=room_id, version=(latest or 0) + 1, template=template_key,
        body=RubricBody.model_validate(body.model_dump()).model_dump_json(), created_by=user_id,
        created_at=now(),
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return to_rubric(row)


async def current(session: AsyncSession, room_id: str) -> Rubric | None:
    row = await session.scalar(
        select(RubricVersion)
        .where(RubricVersion.room_id == room_id)
        .order_by(RubricVersion.version.desc())
        .limit(1)
    )
    return to_rubric(row) if row is not None else None


async def versions(session: AsyncSession, room_id: str) -> list[Rubric]:
    rows = await session.scalars(
        select(RubricVersion).where(RubricVersion.room_id == room_id).order_by(RubricVersion.version)
    )
    return [to_rubric(r) for r in rows]


async def get(session: AsyncSession, rubric_id: str, room_id: str | None = None) -> Rubric:
    row = await session.get(RubricVersion, rubric_id)
    if row is None or (room_id is not None and row.room_id != room_id):
        raise NotFound(f"rubric {rubric_id} not found", code="rubric_not_found")
    return to_rubric(row)
