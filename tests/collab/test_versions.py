"""collab.versions: draft names (第N稿) and numbering that holds under concurrent saves (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collab.versions import chinese_number, default_name, get_version, list_versions, save_version
from server.db import Database, now
from server.errors import NotFound
from server.models import User
from tests.support.api import make_room
from tests.support.collab import make_doc
from tests.support.services import fresh_pg_database


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (25, "二十五"),
        (99, "九十九"),
        (100, "100"),
    ],
)
def test_chinese_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


def test_default_names_are_drafts() -> None:
    assert [default_name(n) for n in (1, 2, 11)] == ["第一稿", "第二稿", "第十一稿"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}") as database:
            yield database
    else:
        async with fresh_pg_database() as url, Database(url) as database:
            yield database


async def new_doc(db: Database) -> tuple[str, int]:
    async with db.transaction() as session:
        u = User(display_name="王老师", created_at=now())
        session.add(u)
        await session.flush()
        user_id = u.id
    room = await make_room(db, user_id)
    return await make_doc(db, room, user_id), user_id


async def test_concurrent_saves_take_consecutive_numbers(db: Database) -> None:
    doc, user = await new_doc(db)
    saved = await asyncio.gather(*(save_version(db, doc, b"state", user) for _ in range(4)))
    assert sorted(v.number for v in saved) == [1, 2, 3, 4]
    listed = await list_versions(db, doc)
    assert [(v.number, v.name) for v in listed] == [
        (1, "第一稿"),
        (2, "第二稿"),
        (3, "第三稿"),
        (4, "第四稿"),
    ]


async def test_a_given_name_is_kept_and_a_blank_one_defaults(db: Database) -> None:
    doc, user = await new_doc(db)
    named = await save_version(db, doc, b"s", user, "  专家意见后  ")
    blank = await save_version(db, doc, b"s", user, "   ", restored_from=named.id)
    assert (named.name, blank.name, blank.restored_from) == ("专家意见后", "第二稿", named.id)


async def test_a_version_is_found_only_under_its_own_document(db: Database) -> None:
    doc, user = await new_doc(db)
    other, _ = await new_doc(db)
    version = await save_version(db, doc, b"s", user)
    assert (await get_version(db, doc, version.id)).state == b"s"
    with pytest.raises(NotFound) as caught:
        await get_version(db, other, version.id)
    assert caught.value.code == "version_not_found"
