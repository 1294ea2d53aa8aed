"""Who may do what in which room: token scope + membership role + the permission table, and who
may publish which venue.

A person without a ``Member`` row may still have a role by default: a package above ``rooms`` (studios: a
studio's members in the studio's rooms) registers a :data:`DefaultRoleProvider` for the database at setup
(``rooms.api.register_default_role``). A ``Member`` row always wins, so a room can override the default.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import Member, Room, Venue
from rooms.permissions import Action, Role, allowed, require
from server.auth.tokens import Principal
from server.db import Database
from server.errors import Forbidden, NotFound

# (session, room_id, user_id) -> the room role that user has by default, or None
DefaultRoleProvider = Callable[[AsyncSession, str, int], Awaitable[Role | None]]
# (session, room_id) -> everyone with a default role there: (user_id, role, since)
DefaultMembersProvider = Callable[[AsyncSession, str], Awaitable[list[tuple[int, Role, float]]]]
# (session, user_id) -> every room where that user has a default role: (room_id, role)
DefaultRoomsProvider = Callable[[AsyncSession, int], Awaitable[list[tuple[str, Role]]]]
_DEFAULT_ROLES: weakref.WeakKeyDictionary[Database, DefaultRoleProvider] = weakref.WeakKeyDictionary()
_DEFAULT_MEMBERS: weakref.WeakKeyDictionary[Database, DefaultMembersProvider] = weakref.WeakKeyDictionary()
_DEFAULT_ROOMS: weakref.WeakKeyDictionary[Database, DefaultRoomsProvider] = weakref.WeakKeyDictionary()


def register_default_role(
    db: Database,
    provider: DefaultRoleProvider,
    members: DefaultMembersProvider | None = None,
    rooms: DefaultRoomsProvider | None = None,
) -> None:
    """Ask ``provider`` for the role of someone who is not a member of a room, ``members`` for the list of
    them (the room's member list shows them) and ``rooms`` for the rooms of one of them ("my rooms" lists
    them); one provider of each per database."""
    _DEFAULT_ROLES[db] = provider
    if members is not None:
        _DEFAULT_MEMBERS[db] = members
    if rooms is not None:
        _DEFAULT_ROOMS[db] = rooms


async def default_rooms(db: Database, session: AsyncSession, user_id: int) -> list[tuple[str, Role]]:
    """Every room where ``user_id`` has a default role (a ``Member`` row there, if any, wins)."""
    provider = _DEFAULT_ROOMS.get(db)
    return [] if provider is None else await provider(session, user_id)


async def default_members(db: Database, session: AsyncSession, room_id: str) -> list[tuple[int, Role, float]]:
    """Everyone with a default role in ``room_id`` (some may also have a ``Member`` row, which wins)."""
    provider = _DEFAULT_MEMBERS.get(db)
    return [] if provider is None else await provider(session, room_id)


async def default_role(db: Database, session: AsyncSession, room_id: str, user_id: int) -> Role | None:
    """The role ``user_id`` has in ``room_id`` without a ``Member`` row (``None``: no access)."""
    provider = _DEFAULT_ROLES.get(db)
    return None if provider is None else await provider(session, room_id, user_id)


async def member_role(db: Database, principal: Principal, room_id: str) -> Role | None:
    """The caller's role in ``room_id``; ``None`` when not a member or the token is scoped elsewhere.

    A site administrator acts as host in every room; a registered user without a ``Member`` row gets the
    default role (:func:`register_default_role`), a guest never does (guests join one room by code).
    """
    if not principal.can_enter(room_id):
        return None
    async with db.session() as session:
        return await _member_role_in(session, db, principal, room_id)


async def _member_role_in(
    session: AsyncSession, db: Database, principal: Principal, room_id: str
) -> Role | None:
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
    if principal.is_admin:
        return Role.HOST
    if principal.is_guest:
        return None
    return await default_role(db, session, room_id, principal.user_id)


async def authorize(db: Database, principal: Principal, room_id: str, action: Action) -> Role:
    """Return the caller's role if it allows ``action`` in ``room_id``; else 404 (unknown) or 403."""
    async with db.session() as session:
        return await authorize_in(session, db, principal, room_id, action)


async def authorize_in(
    session: AsyncSession, db: Database, principal: Principal, room_id: str, action: Action
) -> Role:
    """:func:`authorize` inside a session the caller already holds (a join reads its state in the same one)."""
    if not principal.can_enter(room_id):
        raise Forbidden("this token is for another room", code="wrong_room")
    role = await _member_role_in(session, db, principal, room_id)
    if role is None:
        if await session.get(Room, room_id) is None:
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
