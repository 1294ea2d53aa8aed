"""Named drafts of a lesson plan (第一稿, 第二稿 …): save, list, read, restore."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
import zlib
from collections.abc import AsyncIterator

from pycrdt import merge_updates
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from collab.api import LiveDocuments
from collab.models import DocVersion
from collab.prosemirror import doc_from_state, read_state, replace_content
from collab.store import DocStore
from server.db import Database, is_sqlite, now
from server.errors import Conflict, NotFound

log = logging.getLogger(__name__)

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五; other numbers stay Arabic."""
    if 1 <= n < 10:
        return _DIGITS[n]
    if 10 <= n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def default_name(number: int) -> str:
    return f"第{chinese_number(number)}稿"


async def save_version(
    db: Database,
    doc_id: str,
    state: bytes,
    user_id: int,
    name: str | None = None,
    *,
    restored_from: str | None = None,
) -> DocVersion:
    """Store ``state`` as the next numbered version; a concurrent save takes the next number."""
    for _ in range(5):
        try:
            async with db.transaction() as session:
                top = await session.scalar(
                    select(func.max(DocVersion.number)).where(DocVersion.doc_id == doc_id)
                )
                number = int(top or 0) + 1
                version = DocVersion(
                    id=uuid.uuid4().hex[:16],
                    doc_id=doc_id,
                    number=number,
                    name=(name or "").strip() or default_name(number),
                    state=state,
                    created_by=user_id,
                    created_at=now(),
                    restored_from=restored_from,
                )
                session.add(version)
            log.info("doc %s: saved version %s (%s) by user %s", doc_id, number, version.name, user_id)
            return version
        except IntegrityError:
            continue  # another save took this number
    raise Conflict("could not save the version, please retry", code="version_conflict")


async def list_versions(db: Database, doc_id: str) -> list[DocVersion]:
    async with db.session() as session:
        rows = await session.scalars(
            select(DocVersion).where(DocVersion.doc_id == doc_id).order_by(DocVersion.number)
        )
        return list(rows)


async def get_version(db: Database, doc_id: str, version_id: str) -> DocVersion:
    async with db.session() as session:
        version = await session.get(DocVersion, version_id)
    if version is None or version.doc_id != doc_id:
        raise NotFound(f"version {version_id} not found", code="version_not_found")
    return version


class RestoreLocks:
    """Serialises restores of one document, so that two restores never both replace the same state (each
    would delete the old children and insert its own: the document would hold both contents one after the
    other). In this process an asyncio lock per document; with PostgreSQL also a session advisory lock,
    for restores in other processes."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, doc_id: str) -> asyncio.Lock:
        lock = self._locks.get(doc_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[doc_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, db: Database, doc_id: str) -> AsyncIterator[None]:
        async with self.of(doc_id):
            if is_sqlite(db.url):
                yield
                return
            key = zlib.crc32(b"moke-restore:" + doc_id.encode()) & 0x7FFFFFFF
            async with db.session() as session:
                await session.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                try:
                    yield
                finally:
                    await session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await session.commit()


async def restore_version(
    db: Database, live: LiveDocuments, doc_id: str, version: DocVersion, user_id: int
) -> DocVersion:
    """Make the live document show ``version``'s content for everyone; record the result as a new version.

    The change is computed inside the CRDT (the fragment's children replaced in one transaction on the
    current state) and applied like a client edit, so connected editors receive it as an ordinary update.
    Comments are kept: they live in another part of the document.
    """
    # The stored log too: a restore just finished by another process is stored before its lock is
    # released, but may not have reached this process's copy of the document yet.
    stored = (await DocStore(db).load(doc_id)).state
    current = doc_from_state(merge_updates(await live.state(doc_id), stored))
    nodes = read_state(version.state)["content"]
    update = replace_content(current, nodes)
    await live.apply_update(doc_id, update, origin=f"rest:restore:{user_id}")
    log.info("doc %s: restored version %s by user %s", doc_id, version.number, user_id)
    name = f"恢复自{version.name}"
    return await save_version(db, doc_id, current.get_update(), user_id, name, restored_from=version.id)
