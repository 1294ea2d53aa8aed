"""Relational storage: one async engine per process, SQLite (embedded default) or PostgreSQL.

Migrations (Alembic, in ``server/migrations``) run at start-up under a lock, so several
processes starting at once on one database do not race each other. A database already at the head
revision is not migrated at all: Alembic (with Mako, about 11 MB resident) is imported only when a
migration is due, and ``moke serve`` runs a due migration in a child ``moke migrate`` so that the serving
process never holds it (issue #18: idle RSS).
"""

from __future__ import annotations

import ast
import asyncio
import fcntl
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATION_LOCK_KEY = 0x6D6F6B65  # "moke": PostgreSQL advisory lock id for migrations
VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


class Base(DeclarativeBase):
    """Declarative base shared by every package's models."""


# Tables a package builds in its migration without a model (an engine-specific full-text index: SQLite's
# FTS5 virtual table and its shadow tables, PostgreSQL's tsvector table). Packages add the name to
# ``Base.metadata.info[UNMANAGED_TABLES]``; comparing the models with the database skips them.
UNMANAGED_TABLES = "moke_unmanaged_tables"


def managed_table(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic's ``include_name`` hook: False for an unmanaged table (``name`` or ``name_*``)."""
    if type_ != "table" or name is None:
        return True
    unmanaged: set[str] = Base.metadata.info.get(UNMANAGED_TABLES, set())
    return not any(name == u or name.startswith(u + "_") for u in unmanaged)


def now() -> float:
    """Timestamps are stored as UNIX seconds (float) so SQLite and PostgreSQL behave the same.

    This is the process's own clock, for bookkeeping stamps of one row. Stamps that are compared across
    processes (hand-offs, wire switches, observation notes) read ``ctx.cluster.clock`` instead
    (``server/clock.py``: corrected to the deployment's time authority)."""
    return time.time()


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says the database could not be reached (down, restarting, the connection lost),
    not that a statement was wrong: the request is answered 503 ``db_unavailable`` and may be retried."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        state = getattr(orig, "sqlstate", None) or getattr(
            getattr(orig, "driver_exception", None), "sqlstate", None
        )
        # class 08: connection exception; 57P0x: the server is shutting down or starting up
        return isinstance(state, str) and state.startswith(("08", "57P"))
    return False


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Owns the engine and the session factory; ``start()`` migrates, ``stop()`` disposes."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.start() has not run")
        return self._engine

    async def start(self, *, migrate: bool = True) -> None:
        if is_sqlite(self.url):
            path = self.url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(self.url, echo=self._echo, connect_args={"timeout": 30})
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            engine = create_async_engine(
                self.url, echo=self._echo, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        if migrate:
            await self.migrate()

    async def pending_migrations(self) -> bool:
        """True unless the database is exactly at the head revision(s) of ``server/migrations``."""
        async with self.engine.connect() as conn:
            current = await conn.run_sync(_current_revisions)
        return current != migration_heads()

    async def migrate(self) -> None:
        if not await self.pending_migrations():
            log.info("database at head url=%s", _safe_url(self.url))
            return
        started = time.monotonic()
        if is_sqlite(self.url):
            path = self.url.split(":///", 1)[-1]
            lock = None
            if path and path != ":memory:":
                lock = await asyncio.to_thread(_acquire_file_lock, Path(path + ".migrate.lock"))
            try:
                async with self.engine.begin() as conn:
                    await conn.run_sync(_upgrade)
            finally:
                if lock is not None:
                    lock.close()
        else:
            async with self.engine.begin() as conn:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                await conn.run_sync(_upgrade)
        log.info(
            "database migrated url=%s in %.0f ms", _safe_url(self.url), (time.monotonic() - started) * 1000
        )

    def session(self) -> AsyncSession:
        if self._sessions is None:
            raise RuntimeError("Database.start() has not run")
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.session() as session, session.begin():
            yield session

    async def stop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def __aenter__(self) -> Database:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers run beside the single writer; FULL syncs each commit so an
    # acknowledged write survives a crash of the process or the machine.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def migration_heads() -> set[str]:
    """The head revisions of ``server/migrations``, read from the version files' ``revision`` and
    ``down_revision`` lines without importing Alembic (``tests/server/test_db.py`` compares it with Alembic's)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        found = {k: ast.literal_eval(v.strip()) for k, v in _REVISION_LINE.findall(path.read_text("utf-8"))}
        if "revision" not in found:
            continue
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return revisions - parents


def _current_revisions(conn: Connection) -> set[str]:
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return {str(v) for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()}


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "server:migrations")
    return cfg


def _upgrade(conn: Connection) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _acquire_file_lock(path: Path) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    return fh


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
