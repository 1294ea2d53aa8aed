"""Storage contract (server/db.py): the same models and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from rooms.invites import create_invite, redeem
from rooms.models import Invite, Member, Room
from rooms.permissions import Role
from server.db import Database, alembic_config, migration_heads, now
from server.errors import NotFound
from server.models import User
from tests.support.fresh import fresh_python


async def test_migrations_apply_and_are_idempotent(db_url: str) -> None:
    async with Database(db_url) as db:
        async with db.session() as s:
            version = (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    async with Database(db_url) as db, db.session() as s:
        again = (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == again and version.isdigit()


def test_the_heads_read_from_the_version_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert migration_heads() == set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert len(migration_heads()) == 1  # linear history


async def test_a_database_at_head_starts_without_loading_alembic(db_url: str) -> None:
    """Only a due migration imports Alembic (about 11 MB resident): a restart on a migrated database does not."""
    fresh = Database(db_url)
    await fresh.start(migrate=False)
    assert await fresh.pending_migrations()
    await fresh.migrate()
    assert not await fresh.pending_migrations()
    await fresh.stop()
    script = (
        "import asyncio, json, sys\n"
        "from server.db import Database\n"
        "async def main():\n"
        f"    async with Database({db_url!r}) as db:\n"
        "        return await db.pending_migrations()\n"
        "pending = asyncio.run(main())\n"
        "print(json.dumps({'pending': pending, 'alembic': 'alembic' in sys.modules}))\n"
    )
    assert fresh_python(script) == {"pending": False, "alembic": False}


async def test_concurrent_start_up_migrates_once(db_url: str) -> None:
    dbs = [Database(db_url) for _ in range(3)]
    await asyncio.gather(*(d.start() for d in dbs))
    for d in dbs:
        await d.stop()


async def test_users_rooms_members_round_trip(db_url: str) -> None:
    async with Database(db_url) as db:
        async with db.transaction() as s:
            u = User(username="hu", display_name="胡老师", school="教育中心", created_at=now())
            s.add(u)
            await s.flush()
            s.add(
                Room(
                    id="r1",
                    title="《秋天的雨》",
                    kind="prep",
                    created_by=u.id,
                    created_at=now(),
                    updated_at=now(),
                )
            )
            await s.flush()
            s.add(Member(room_id="r1", user_id=u.id, role="host", joined_at=now()))
        async with db.session() as s:
            room = await s.get(Room, "r1")
            member = await s.get(Member, ("r1", u.id))
        assert room is not None and room.title == "《秋天的雨》" and room.archived_at is None
        assert member is not None and member.role == "host"
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                s.add(User(username="hu", display_name="dup", created_at=now()))


async def test_invite_redemption_never_exceeds_max_uses(db_url: str) -> None:
    async with Database(db_url) as db:
        async with db.transaction() as s:
            host = User(username="host", display_name="host", created_at=now())
            s.add(host)
            await s.flush()
            s.add(
                Room(id="r2", title="t", kind="trial", created_by=host.id, created_at=now(), updated_at=now())
            )
            await s.flush()
            inv = await create_invite(s, room_id="r2", role=Role.OBSERVER, created_by=host.id, max_uses=3)
            guests = [User(display_name=f"g{i}", is_guest=True, created_at=now()) for i in range(8)]
            s.add_all(guests)
        code = inv.code

        async def attempt(user_id: int) -> bool:
            try:
                async with db.transaction() as s:
                    await redeem(s, code, user_id)
                return True
            except NotFound:
                return False

        results = await asyncio.gather(*(attempt(g.id) for g in guests))
        async with db.session() as s:
            uses = (await s.execute(select(Invite.uses).where(Invite.code == code))).scalar_one()
            members = (
                await s.execute(select(func.count()).select_from(Member).where(Member.room_id == "r2"))
            ).scalar_one()
        assert sum(results) == 3 and uses == 3 and members == 3
