"""A studio's rooms (活动): create one in the studio, list them, and the room role each studio role gets."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import Member, Role, Room, RoomIn, room_out
from rooms.api import new_id as new_room_id
from server.db import now
from studios.models import StudioRoom
from studios.permissions import StudioRole
from studios.schemas import ActivityOut, RoleMap


async def create_room(
    session: AsyncSession,
    *,
    studio_id: str,
    body: RoomIn,
    roles: RoleMap,
    user_id: int,
    cycle_id: str | None = None,
    position: int | None = None,
    stage: str = "",
) -> tuple[Room, StudioRoom]:
    """A new room in the studio; its creator is its host (a ``Member`` row), the studio's members reach it by
    ``roles``."""
    t = now()
    room = Room(id=new_room_id(), created_by=user_id, created_at=t, updated_at=t, **body.model_dump())
    session.add(room)
    await session.flush()
    session.add(Member(room_id=room.id, user_id=user_id, role=Role.HOST.value, joined_at=t))
    link = StudioRoom(
        room_id=room.id, studio_id=studio_id, host_role=roles.host.value, core_role=roles.core.value,
        participant_role=roles.participant.value, cycle_id=cycle_id, position=position, stage=stage,
        added_by=user_id, added_at=t,
    )  # fmt: skip
    session.add(link)
    await session.flush()
    return room, link


def roles_of(link: StudioRoom) -> dict[str, str]:
    return {"host": link.host_role, "core": link.core_role, "participant": link.participant_role}


def my_room_role(link: StudioRoom, member_role: str | None, studio_role: StudioRole | None) -> str | None:
    if member_role is not None:
        return member_role
    return roles_of(link)[studio_role.value] if studio_role is not None else None


def activity_out(room: Room, link: StudioRoom, default_seats: int, my_role: str | None) -> ActivityOut:
    return ActivityOut(
        room=room_out(room, default_seats, my_role), studio_id=link.studio_id, roles=roles_of(link),
        cycle_id=link.cycle_id, position=link.position, stage=link.stage, doc_id=link.doc_id,
    )  # fmt: skip


async def activities(
    session: AsyncSession, studio_id: str, user_id: int, scope: str, *, cycle_id: str | None = None
) -> list[tuple[Room, StudioRoom, str | None]]:
    """The studio's rooms with the caller's own ``Member`` role (``None``: the default applies).

    ``upcoming``: not archived and not yet ended, by start time; ``past``: the rest, newest first."""
    q = (
        select(Room, StudioRoom, Member.role)
        .join(StudioRoom, StudioRoom.room_id == Room.id)
        .outerjoin(Member, (Member.room_id == Room.id) & (Member.user_id == user_id))
        .where(StudioRoom.studio_id == studio_id)
    )
    if cycle_id is not None:
        q = q.where(StudioRoom.cycle_id == cycle_id).order_by(StudioRoom.position)
    t = now()
    ends = func.coalesce(Room.ends_at, Room.starts_at, t)
    if scope == "upcoming":
        q = q.where(Room.archived_at.is_(None), ends >= t).order_by(
            func.coalesce(Room.starts_at, Room.created_at)
        )
    elif scope == "past":
        q = q.where((Room.archived_at.is_not(None)) | (ends < t)).order_by(
            func.coalesce(Room.starts_at, Room.created_at).desc()
        )
    elif cycle_id is None:
        q = q.order_by(func.coalesce(Room.starts_at, Room.created_at))
    rows = (await session.execute(q.limit(1000))).all()
    return [(room, link, role) for room, link, role in rows]
