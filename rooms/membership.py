"""Who may do what in which room: token scope + membership role + the permission table, and who
may publish which venue."""

from __future__ import annotations

from sqlalchemy import select

from rooms.models import Member, Room, Venue
from rooms.permissions import Action, Role, allowed, require
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


async def require_venue_publisher(
    db: Database, room_id: str, venue_id: str, user_id: int, role: Role
) -> None:
    """A presenter publishes their own venue (or one without a presenter, unless they present at another);
    whoever manages the room's venues may publish any of them. ``role`` already allows publishing venues."""
    async with db.session() as session:
        venue = await session.get(Venue, venue_id)
        if venue is None or venue.room_id != room_id:
            raise NotFound(f"venue {venue_id} not found in this room", code="venue_not_found")
        if allowed(role, Action.VENUE_MANAGE):
            return
        if venue.presenter_id not in (None, user_id):
            raise Forbidden("you are not the presenter of this venue", code="not_venue_presenter")
        if venue.presenter_id is None:
            member_venue = await session.scalar(
                select(Member.venue_id).where(Member.room_id == room_id, Member.user_id == user_id)
            )
            if member_venue is not None and member_venue != venue_id:
                raise Forbidden("you present at another venue", code="not_venue_presenter")
