"""rooms.membership: token scope, membership and the permission table decide every access (real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.membership import authorize, member_role
from rooms.permissions import Action, Role
from server.auth.tokens import Principal
from server.db import Database, now
from server.errors import Forbidden, MokeError, NotFound
from server.models import User
from tests.support.api import add_member, make_room


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}") as database:
        yield database


async def user(db: Database, name: str, *, admin: bool = False) -> Principal:
    async with db.transaction() as session:
        u = User(display_name=name, is_admin=admin, created_at=now())
        session.add(u)
        await session.flush()
        return Principal(u.id, name, is_admin=admin)


async def refusal(db: Database, who: Principal, room_id: str, action: Action) -> tuple[type[MokeError], str]:
    with pytest.raises(MokeError) as caught:
        await authorize(db, who, room_id, action)
    return type(caught.value), caught.value.code


async def test_roles_come_from_membership_and_the_permission_table(db: Database) -> None:
    host, observer, stranger = await user(db, "主持"), await user(db, "观课"), await user(db, "路人")
    room = await make_room(db, host.user_id)
    await add_member(db, room, observer.user_id, Role.OBSERVER)
    assert await authorize(db, host, room, Action.ROOM_UPDATE) == Role.HOST
    assert await authorize(db, observer, room, Action.ROOM_VIEW) == Role.OBSERVER
    assert await refusal(db, observer, room, Action.DOC_EDIT) == (Forbidden, "forbidden")
    assert await refusal(db, stranger, room, Action.ROOM_VIEW) == (Forbidden, "not_member")
    assert await member_role(db, stranger, room) is None


async def test_an_unknown_room_is_404_for_everyone_but_a_wrong_room_token_is_403(db: Database) -> None:
    host = await user(db, "主持")
    room = await make_room(db, host.user_id)
    assert await refusal(db, host, "no-such-room", Action.ROOM_VIEW) == (NotFound, "room_not_found")
    scoped = Principal(host.user_id, host.name, room_scope="another-room")
    assert await refusal(db, scoped, room, Action.ROOM_VIEW) == (Forbidden, "wrong_room")
    assert await member_role(db, scoped, room) is None


async def test_an_administrator_acts_as_host_where_not_a_member(db: Database) -> None:
    host, admin = await user(db, "主持"), await user(db, "管理员", admin=True)
    room = await make_room(db, host.user_id)
    assert await member_role(db, admin, room) == Role.HOST
    assert await authorize(db, admin, room, Action.MEMBER_MANAGE) == Role.HOST
    await add_member(db, room, admin.user_id, Role.OBSERVER)
    assert await member_role(db, admin, room) == Role.OBSERVER  # a membership says more than the flag
