"""Where the records meet the studios: which rooms belong to which studio, its members, its resources."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from studios.library.models import LibraryItem
from studios.models import Studio, StudioMember, StudioRoom


@dataclass
class District:
    """Every studio (id -> name), the studio of each studio room, and library items per studio."""

    names: dict[str, str] = field(default_factory=dict)
    studio_of: dict[str, str] = field(default_factory=dict)  # room id -> studio id
    resources: dict[str, int] = field(default_factory=dict)


async def studio_rooms(s: AsyncSession, studio_id: str) -> list[str]:
    """The rooms (activities) of ``studio_id``."""
    return list((await s.scalars(select(StudioRoom.room_id).where(StudioRoom.studio_id == studio_id))).all())


async def studio_members(s: AsyncSession, studio_id: str) -> dict[int, str]:
    """user id -> studio role."""
    q = select(StudioMember.user_id, StudioMember.role).where(StudioMember.studio_id == studio_id)
    return {int(u): r for u, r in (await s.execute(q)).all()}


async def district(s: AsyncSession) -> District:
    d = District()
    d.names = {sid: name for sid, name in (await s.execute(select(Studio.id, Studio.name))).all()}
    d.studio_of = {
        r: sid for r, sid in (await s.execute(select(StudioRoom.room_id, StudioRoom.studio_id))).all()
    }
    per_studio = select(LibraryItem.studio_id, func.count()).group_by(LibraryItem.studio_id)
    d.resources = {sid: int(n) for sid, n in (await s.execute(per_studio)).all()}
    return d
