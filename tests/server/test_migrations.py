"""The ORM models match what the migrations build, on SQLite and on PostgreSQL.

A model changed without a migration (or a migration that drifts from its model) shows up here as
Alembic's ``compare_metadata`` diff, which is what ``alembic revision --autogenerate`` would write.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, Table

import server.app  # noqa: F401  (the wiring imports every package, so every model is on Base.metadata)
from server.db import Base, Database


def _diff(conn: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, metadata)


async def _migrated_diff(url: str, metadata: MetaData) -> list[Any]:
    async with Database(url) as db, db.engine.connect() as conn:
        return await conn.run_sync(_diff, metadata)


def test_every_package_registers_its_tables() -> None:
    tables = set(Base.metadata.tables)
    for table in ("users", "rooms", "members", "documents", "doc_updates", "recordings", "eval_evaluations"):
        assert table in tables, f"{table} is not on Base.metadata: is its models module imported?"


async def test_models_match_migrations(db_url: str) -> None:
    diff = await _migrated_diff(db_url, Base.metadata)
    assert diff == [], f"models and migrations differ (write a migration): {diff}"


async def test_a_model_without_its_migration_is_caught(db_url: str) -> None:
    """The comparison can fail: a column added to a copy of the models shows up as a difference."""
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    users: Table = metadata.tables["users"]
    users.append_column(Column("shoe_size", Integer, nullable=True))
    diff = await _migrated_diff(db_url, metadata)
    added = [d for d in diff if isinstance(d, tuple) and d[0] == "add_column"]
    assert [(d[2], d[3].name) for d in added] == [("users", "shoe_size")], diff
