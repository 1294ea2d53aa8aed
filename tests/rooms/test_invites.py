"""rooms.invites: codes people can type, and redemption that tells a guesser nothing (real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from rooms.invites import (
    CODE_ALPHABET,
    CODE_LENGTH,
    create_invite,
    find_invite,
    new_code,
    normalize_code,
    redeem,
)
from rooms.models import Invite
from rooms.permissions import Role
from server.db import Database, now
from server.errors import NotFound
from server.models import User
from tests.support.api import add_member, make_room


def test_codes_avoid_look_alike_characters() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_typed_codes_are_normalised() -> None:
    assert normalize_code("ab3d-ef4g") == normalize_code(" AB3D EF4G ") == "AB3DEF4G"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}") as database:
        yield database


async def users(db: Database, n: int) -> list[int]:
    async with db.transaction() as session:
        made = [User(display_name=f"老师{i}", created_at=now()) for i in range(n)]
        session.add_all(made)
        await session.flush()
        return [u.id for u in made]


async def test_redeeming_adds_the_member_once_and_keeps_an_existing_role(db: Database) -> None:
    host, editor, newcomer = await users(db, 3)
    room = await make_room(db, host)
    await add_member(db, room, editor, Role.EDITOR)
    async with db.transaction() as session:
        code = (await create_invite(session, room_id=room, role=Role.OBSERVER, created_by=host)).code
    async with db.transaction() as session:
        joined = await redeem(session, code.lower(), newcomer)
        again = await redeem(session, code, newcomer)
        existing = await redeem(session, code, editor)
    assert (joined.room_id, joined.role, again.role) == (room, Role.OBSERVER, Role.OBSERVER)
    assert existing.role == Role.EDITOR  # an invite never demotes a member
    async with db.session() as session:
        found = await find_invite(session, f"{code[:4]}-{code[4:]}")
    assert found is not None and found.uses == 3


@pytest.mark.parametrize("spoil", ["expired", "revoked", "used up", "unknown"])
async def test_every_unusable_code_fails_the_same_way(db: Database, spoil: str) -> None:
    host, guest = await users(db, 2)
    room = await make_room(db, host)
    async with db.transaction() as session:
        invite = await create_invite(session, room_id=room, role=Role.OBSERVER, created_by=host, max_uses=1)
        code = invite.code
        changes = {
            "expired": {"expires_at": now() - 1},
            "revoked": {"revoked_at": now()},
            "used up": {"uses": 1},
            "unknown": {"code": "ZZZZZZZZ" if code != "ZZZZZZZZ" else "YYYYYYYY"},
        }[spoil]
        await session.execute(update(Invite).where(Invite.id == invite.id).values(**changes))
    with pytest.raises(NotFound) as caught:
        async with db.transaction() as session:
            await redeem(session, code, guest)
    assert (caught.value.code, caught.value.message) == ("invite_invalid", "invite code is not valid")
