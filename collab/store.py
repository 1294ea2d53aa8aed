"""Durable storage of Yjs documents: an append-only update log plus compacted snapshots.

Writes are group-committed: every :meth:`DocStore.append` of one event-loop turn (any document) goes
into one transaction, and the next group gathers while the previous one commits. ``append`` returns
only after the commit, so callers relay an update only once it is durable.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass, field

import pycrdt
from sqlalchemy import delete, func, insert, select, text

from collab.models import DocSnapshot, DocUpdate
from server.db import Database, is_sqlite, now

log = logging.getLogger(__name__)


@dataclass
class StoredDoc:
    """A document as loaded: its merged state, the highest update id it covers and its stored size."""

    state: bytes
    last_update_id: int
    stored_bytes: int
    pending_updates: int  # log entries not yet compacted


@dataclass
class _Pending:
    rows: list[tuple[str, bytes]] = field(default_factory=list)
    done: asyncio.Future[None] | None = None


class DocStore:
    """Load, append (group commit) and compact document logs in the relational database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending = _Pending()
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # transactions written (tests and metrics)

    # ---- writing ---------------------------------------------------------------------------------
    async def append(self, doc_id: str, updates: list[bytes]) -> None:
        """Persist ``updates`` of ``doc_id``; returns once they are committed (raises if the commit fails)."""
        loop = asyncio.get_running_loop()
        if self._pending.done is None:
            self._pending.done = loop.create_future()
        self._pending.rows.extend((doc_id, u) for u in updates)
        done = self._pending.done
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_loop(), name="collab-store-writer")
        await asyncio.shield(done)

    async def _write_loop(self) -> None:
        while self._pending.rows:
            await asyncio.sleep(0)  # let the rest of this loop turn add its rows to the group
            batch, self._pending = self._pending, _Pending()
            assert batch.done is not None
            try:
                stamp = now()
                # Core insert on a bare connection: fewer round trips to the driver thread than an ORM session
                async with self.db.engine.begin() as conn:
                    await conn.execute(
                        insert(DocUpdate),
                        [{"doc_id": d, "data": u, "created_at": stamp} for d, u in batch.rows],
                    )
                self.commits += 1
            except Exception as exc:
                log.exception("collab store commit failed rows=%d", len(batch.rows))
                if not batch.done.done():
                    batch.done.set_exception(exc)
                continue
            if not batch.done.done():
                batch.done.set_result(None)

    # ---- reading ---------------------------------------------------------------------------------
    async def load(self, doc_id: str) -> StoredDoc:
        """The merged state of the snapshot and every logged update.

        The log is read before the snapshot: a compaction committing in between moved the rows we
        missed into the snapshot we then read, so nothing falls between the two reads.
        """
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(DocUpdate.id, DocUpdate.data)
                    .where(DocUpdate.doc_id == doc_id)
                    .order_by(DocUpdate.id)
                )
            ).all()
            snap = await session.get(DocSnapshot, doc_id)
        parts = ([snap.state] if snap is not None else []) + [r.data for r in rows]
        last = max([r.id for r in rows] + ([snap.last_update_id] if snap is not None else [0]))
        size = sum(len(p) for p in parts)
        state = _merge(parts)
        return StoredDoc(state, last, size, len(rows))

    # ---- compaction ------------------------------------------------------------------------------
    async def compact(self, doc_id: str) -> int:
        """Merge the snapshot and the log into a new snapshot and delete the merged rows, atomically.

        Returns the number of log rows folded in. Concurrent compactions of one document (several
        processes) are serialised by a PostgreSQL advisory lock / SQLite's single writer.
        """
        async with self.db.transaction() as session:
            if is_sqlite(self.db.url):
                # take the write lock first so the reads below see what we then delete
                await session.execute(text("UPDATE doc_snapshots SET doc_id = doc_id WHERE 0"))
            else:
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(doc_id)})
            rows = (
                await session.execute(
                    select(DocUpdate.id, DocUpdate.data)
                    .where(DocUpdate.doc_id == doc_id)
                    .order_by(DocUpdate.id)
                )
            ).all()
            if not rows:
                return 0
            snap = await session.get(DocSnapshot, doc_id)
            parts = ([snap.state] if snap is not None else []) + [r.data for r in rows]
            state = _merge(parts)
            last = rows[-1].id
            if snap is None:
                session.add(DocSnapshot(doc_id=doc_id, state=state, last_update_id=last, updated_at=now()))
            else:
                snap.state, snap.last_update_id, snap.updated_at = state, last, now()
            await session.execute(delete(DocUpdate).where(DocUpdate.doc_id == doc_id, DocUpdate.id <= last))
        log.info("compacted doc=%s rows=%d state_bytes=%d", doc_id, len(rows), len(state))
        return len(rows)

    async def log_length(self, doc_id: str) -> int:
        async with self.db.session() as session:
            return int(
                (await session.execute(select(func.count()).where(DocUpdate.doc_id == doc_id))).scalar_one()
            )


def _merge(parts: list[bytes]) -> bytes:
    if not parts:
        return pycrdt.Doc().get_update()
    if len(parts) == 1:
        return parts[0]
    return pycrdt.merge_updates(*parts)


def _lock_key(doc_id: str) -> int:
    return zlib.crc32(b"moke-doc:" + doc_id.encode()) & 0x7FFFFFFF
