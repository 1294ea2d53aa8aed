"""Joining and leaving a studio: the 1 + N + X limits, and what leaving takes away in the studio's rooms."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import Member, announce_role
from server.bus import Bus
from server.config import Settings
from server.db import now
from server.errors import Conflict
from studios.access import mapped_role
from studios.models import Studio, StudioMember, StudioRoom
from studios.permissions import StudioRole


def limit_of(settings: Settings, role: StudioRole) -> int:
    return {StudioRole.HOST: 1, StudioRole.CORE: settings.studios_max_core,
            StudioRole.PARTICIPANT: settings.studios_max_participants}[role]  # fmt: skip


async def check_room_for(session: AsyncSession, settings: Settings, studio_id: str, role: StudioRole) -> None:
    """Raise 409 ``studio_full`` when the studio already has as many ``role`` members as it may.

    Call inside the transaction that adds the member, after a write (SQLite: the write lock is held) and with
    the studio row locked (PostgreSQL), so two joins cannot both take the last place."""
    await session.get(Studio, studio_id, with_for_update=True)
    count = await session.scalar(
        select(func.count()).where(StudioMember.studio_id == studio_id, StudioMember.role == role.value)
    )
    limit = limit_of(settings, role)
    if (count or 0) >= limit:
        names = {
            StudioRole.HOST: "host",
            StudioRole.CORE: "core members",
            StudioRole.PARTICIPANT: "participants",
        }
        raise Conflict(
            f"the studio already has {limit} {names[role]} (its limit)",
            code="studio_full",
            details={"role": role.value, "limit": limit},
        )


async def add_member(
    session: AsyncSession, settings: Settings, studio_id: str, user_id: int, role: StudioRole
) -> StudioRole:
    """Add ``user_id`` with ``role`` (limits checked); an existing member keeps their role."""
    existing = await session.get(StudioMember, (studio_id, user_id))
    if existing is not None:
        return StudioRole(existing.role)
    await check_room_for(session, settings, studio_id, role)
    session.add(StudioMember(studio_id=studio_id, user_id=user_id, role=role.value, joined_at=now()))
    return role


async def studio_room_ids(session: AsyncSession, studio_id: str) -> list[str]:
    rows = await session.scalars(select(StudioRoom.room_id).where(StudioRoom.studio_id == studio_id))
    return list(rows)


async def remove_member(session: AsyncSession, studio_id: str, user_id: int) -> list[str]:
    """Remove the member and their own role rows in the studio's rooms (their per-room overrides: access
    to a studio room comes with the studio). Returns the studio's room ids, to announce the change."""
    rooms = await studio_room_ids(session, studio_id)
    await session.execute(
        delete(StudioMember).where(StudioMember.studio_id == studio_id, StudioMember.user_id == user_id)
    )
    if rooms:
        await session.execute(delete(Member).where(Member.user_id == user_id, Member.room_id.in_(rooms)))
    return rooms


async def announce_lost(bus: Bus, room_ids: list[str], user_id: int) -> None:
    """Every process drops ``user_id``'s live connections to these rooms (Socket.IO, lesson-plan editors)."""
    for room_id in room_ids:
        await announce_role(bus, room_id, user_id, None)


async def announce_new_defaults(
    session: AsyncSession, bus: Bus, studio_id: str, user_id: int, role: StudioRole
) -> None:
    """After a change of studio role: live connections to the studio's rooms follow the new default role
    (rooms where the member has a role of their own keep it)."""
    rows = await session.execute(
        select(StudioRoom)
        .outerjoin(Member, (Member.room_id == StudioRoom.room_id) & (Member.user_id == user_id))
        .where(StudioRoom.studio_id == studio_id, Member.role.is_(None))
    )
    for link in rows.scalars():
        new = mapped_role(role.value, link.host_role, link.core_role, link.participant_role)
        await announce_role(bus, link.room_id, user_id, new)
