"""Who may do what in a studio, and the room role a studio member has in the studio's rooms.

``room_default_role`` is the provider registered with ``rooms.api.register_default_role``: rooms asks it,
on every path (REST, Socket.IO, collab, media), for someone without a ``Member`` row in a room.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import Role
from server.auth.tokens import Principal
from server.db import Database
from server.errors import Forbidden, NotFound
from studios.models import Studio, StudioMember, StudioRoom
from studios.permissions import StudioAction, StudioRole, studio_require


def mapped_role(studio_role: str, host: str, core: str, participant: str) -> Role:
    """The room role a studio role maps to, given a studio room's ``host_role``, ``core_role``, ``participant_role``."""
    by_role = {StudioRole.HOST: host, StudioRole.CORE: core, StudioRole.PARTICIPANT: participant}
    return Role(by_role[StudioRole(studio_role)])


async def room_default_role(session: AsyncSession, room_id: str, user_id: int) -> Role | None:
    """The room role ``user_id`` gets in ``room_id`` from their studio role (``None``: not a studio room,
    not a member of its studio, or the studio is archived)."""
    row = (
        await session.execute(
            select(StudioMember.role, StudioRoom.host_role, StudioRoom.core_role, StudioRoom.participant_role)
            .join(StudioMember, StudioMember.studio_id == StudioRoom.studio_id)
            .join(Studio, Studio.id == StudioRoom.studio_id)
            .where(
                StudioRoom.room_id == room_id,
                StudioMember.user_id == user_id,
                Studio.archived_at.is_(None),
            )
        )
    ).first()
    return None if row is None else mapped_role(row.role, row.host_role, row.core_role, row.participant_role)


async def room_default_members(session: AsyncSession, room_id: str) -> list[tuple[int, Role, float]]:
    """Everyone who reaches ``room_id`` by their studio role: (user id, room role, joined the studio)."""
    rows = await session.execute(
        select(StudioMember.user_id, StudioMember.role, StudioMember.joined_at,
               StudioRoom.host_role, StudioRoom.core_role, StudioRoom.participant_role)
        .join(StudioMember, StudioMember.studio_id == StudioRoom.studio_id)
        .join(Studio, Studio.id == StudioRoom.studio_id)
        .where(StudioRoom.room_id == room_id, Studio.archived_at.is_(None))
    )  # fmt: skip
    return [
        (r.user_id, mapped_role(r.role, r.host_role, r.core_role, r.participant_role), r.joined_at)
        for r in rows
    ]


async def room_default_rooms(session: AsyncSession, user_id: int) -> list[tuple[str, Role]]:
    """Every studio room ``user_id`` reaches by their studio role: (room id, room role)."""
    rows = await session.execute(
        select(StudioRoom.room_id, StudioMember.role, StudioRoom.host_role, StudioRoom.core_role,
               StudioRoom.participant_role)
        .join(StudioMember, StudioMember.studio_id == StudioRoom.studio_id)
        .join(Studio, Studio.id == StudioRoom.studio_id)
        .where(StudioMember.user_id == user_id, Studio.archived_at.is_(None))
    )  # fmt: skip
    return [(r.room_id, mapped_role(r.role, r.host_role, r.core_role, r.participant_role)) for r in rows]


async def studio_role(db: Database, principal: Principal, studio_id: str) -> StudioRole | None:
    """The caller's studio role; ``None`` for a non-member or a room-scoped (guest) token."""
    if principal.room_scope or principal.is_guest:
        return None
    async with db.session() as session:
        role = await session.scalar(
            select(StudioMember.role).where(
                StudioMember.studio_id == studio_id, StudioMember.user_id == principal.user_id
            )
        )
    return StudioRole(role) if role is not None else None


async def authorize_studio(
    db: Database, principal: Principal, studio_id: str, action: StudioAction
) -> StudioRole:
    """Return the caller's studio role if it allows ``action``; else 404 (unknown studio) or 403.

    A site administrator acts as the host of every studio."""
    async with db.session() as session:
        studio = await session.get(Studio, studio_id)
    if studio is None:
        raise NotFound(f"studio {studio_id} not found", code="studio_not_found")
    role = await studio_role(db, principal, studio_id)
    if role is None:
        if principal.is_admin and not principal.room_scope:
            return StudioRole.HOST
        raise Forbidden("you are not a member of this studio", code="not_studio_member")
    studio_require(role, action)
    return role
