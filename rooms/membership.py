"""Who may do what in which room: token scope + membership role + the permission table."""

from __future__ import annotations

from sqlalchemy import select

from rooms.models import Member, Room
from rooms.permissions import Action, Role, require
from server.auth.tokens import Principal
from server.db import Database
from server.errors import Forbidden, NotFound


async def member_role(db: Database, principal: Principal, room_id: str) -> Role | None:
    """The caller's role in ``room_id``; ``None`` when not a member or the token is scoped elsewhere.

    A site administrator acts as host in every room.
    """
    if not principal.can_enter(room_id):
        return None
    async with db.session() as session:
        row = await session.execute(
            select(Room.id, Member.role)
            .select_from(Room)
            .outerjoin(Member, (Member.room_id == Room.id) & (Member.user_id == principal.user_id))
            .where(Room.id == room_id)
        )
        found = row.first()
    if found is None:
        return None
    if found.role is not None:
        return Role(found.role)
    return Role.HOST if principal.is_admin else None


async def authorize(db: Database, principal: Principal, room_id: str, action: Action) -> Role:
    """Return the caller's role if it allows ``action`` in ``room_id``; else 404 (unknown) or 403."""
    if not principal.can_enter(room_id):
        raise Forbidden("this token is for another room", code="wrong_room")
    role = await member_role(db, principal, room_id)
    if role is None:
        async with db.session() as session:
            exists = await session.get(Room, room_id)
        if exists is None:
            raise NotFound(f"room {room_id} not found", code="room_not_found")
        raise Forbidden("you are not a member of this room", code="not_member")
    require(role, action)
    return role
