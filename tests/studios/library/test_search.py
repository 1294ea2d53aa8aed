"""studios.library.search contract, one test body over SQLite FTS5 and PostgreSQL tsvector: a plan is found
by a word of its 教学过程, by a single character, by a Latin word; every part of a query must match; a
phrase does not match across punctuation; put replaces, remove forgets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

import server.models  # noqa: F401  (users table for the foreign keys)
from server.db import Database, now
from server.models import User
from studios.library.models import LibraryItem
from studios.library.search import Fts5Index, PgIndex, SearchIndex, search_index_for
from studios.models import Studio
from tests.support.services import fresh_pg_database

PLAN = """《秋天的雨》教学设计
一、教学目标：认识“油、钥”等15个生字。
二、教学过程：
1. 情境导入：播放秋雨的视频，学生说说看到了什么。
2. 合作探究：小组朗读第二自然段，圈出表示颜色的词语。
板书设计：PPT 展示 slide 3"""
OTHER = "《小蝌蚪找妈妈》教学反思：学生朗读时情感不足。过程性评价需要加强。"


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with Database(f"sqlite+aiosqlite:///{tmp_path / 'lib.db'}") as database:
            yield database
    else:
        async with fresh_pg_database() as url, Database(url) as database:
            yield database


async def _items(db: Database, *texts: str) -> list[str]:
    ids = [uuid.uuid4().hex for _ in texts]
    async with db.transaction() as session:
        user = User(username=f"u{uuid.uuid4().hex[:8]}", display_name="王老师")
        session.add(user)
        await session.flush()
        studio = Studio(id=uuid.uuid4().hex, name="语文工作室", host_id=user.id, created_by=user.id)
        session.add(studio)
        await session.flush()
        for item_id in ids:
            session.add(LibraryItem(id=item_id, studio_id=studio.id, kind="plan", title="教案", filename="a.docx",
                                    stored="a.docx", content_type="x", size=1, created_at=now()))  # fmt: skip
    return ids


async def _search(db: Database, index: SearchIndex, query: str) -> set[str]:
    hits = index.hits(query)
    if hits is None:
        return set()
    async with db.session() as session:
        return set((await session.scalars(select(hits.c.item_id))).all())


async def test_the_engine_picks_its_own_index(db: Database) -> None:
    assert isinstance(search_index_for(db.url), Fts5Index if db.url.startswith("sqlite") else PgIndex)


async def test_a_plan_is_found_by_what_it_says(db: Database) -> None:
    index = search_index_for(db.url)
    plan, other = await _items(db, PLAN, OTHER)
    async with db.transaction() as session:
        await index.put(session, plan, PLAN)
        await index.put(session, other, OTHER)
    assert await _search(db, index, "合作探究") == {plan}  # a word of its 教学过程
    assert await _search(db, index, "情境导入") == {plan}
    assert await _search(db, index, "探究") == {plan}
    assert await _search(db, index, "圈出表示颜色") == {plan}
    assert await _search(db, index, "朗读") == {plan, other}
    assert await _search(db, index, "朗读 颜色") == {plan}  # every part must match
    assert await _search(db, index, "蝌") == {other}  # one character
    assert await _search(db, index, "雨") == {plan}  # one character ending a run (秋雨)
    assert await _search(db, index, "ppt") == {plan}  # Latin, any case
    assert await _search(db, index, "SLIDE") == {plan}
    assert await _search(db, index, "过程") == {plan, other}
    assert await _search(db, index, "足过") == set()  # 不足。过程: a phrase never spans punctuation
    assert await _search(db, index, "探究合作") == set()  # order matters inside a word
    assert await _search(db, index, "“”！") == set()
    assert index.hits("  ，。 ") is None


async def test_put_replaces_and_remove_forgets(db: Database) -> None:
    index = search_index_for(db.url)
    (item,) = await _items(db, PLAN)
    async with db.transaction() as session:
        await index.put(session, item, PLAN)
    async with db.transaction() as session:
        await index.put(session, item, OTHER)
    assert await _search(db, index, "合作探究") == set()
    assert await _search(db, index, "蝌蚪") == {item}
    async with db.transaction() as session:
        await index.remove(session, item)
    assert await _search(db, index, "蝌蚪") == set()


async def test_better_matches_score_higher(db: Database) -> None:
    index = search_index_for(db.url)
    once, thrice = await _items(db, "a", "b")
    async with db.transaction() as session:
        await index.put(session, once, "说课稿：朗读指导。" + "其他内容。" * 20)
        await index.put(session, thrice, "朗读、朗读、朗读。")
    hits = index.hits("朗读")
    assert hits is not None
    async with db.session() as session:
        ranked = (await session.execute(select(hits.c.item_id).order_by(hits.c.score.desc()))).scalars().all()
    assert list(ranked) == [thrice, once]
