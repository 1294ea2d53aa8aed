"""The ORM models match what the migrations build, on SQLite and on PostgreSQL.

A model changed without a migration (or a migration that drifts from its model) shows up here as
Alembic's ``compare_metadata`` diff, which is what ``alembic revision --autogenerate`` would write.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, Table

import server.app  # noqa: F401  (the wiring imports every package, so every model is on Base.metadata)
from server.db import Base, Database, managed_table

ROOT = Path(__file__).resolve().parents[2]


def _diff(conn: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": False, "include_name": managed_table}
    )
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


def _alembic(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Alembic's own command line, from the repository root (``alembic.ini``), as a developer runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_alembic_command_line_checks_the_models_against_the_migrations(tmp_path: Path) -> None:
    url = f"url=sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgraded = _alembic("-x", url, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade 0006 -> 0007" in upgraded.stderr
    checked = _alembic("-x", url, "check")
    assert checked.returncode == 0 and "No new upgrade operations detected" in checked.stdout, checked.stderr

    # a table the models do not have: `alembic check` fails and names the difference
    sqlite3.connect(tmp_path / "cli.db").execute(
        "CREATE TABLE stray (id INTEGER PRIMARY KEY)"
    ).connection.close()
    drifted = _alembic("-x", url, "check")
    assert drifted.returncode != 0 and "remove_table" in drifted.stderr + drifted.stdout


def test_alembic_autogenerate_writes_a_revision_from_the_models(tmp_path: Path) -> None:
    """``alembic revision --autogenerate`` against a database at head writes an empty revision after the last one."""
    url = f"url=sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert _alembic("-x", url, "upgrade", "head").returncode == 0
    versions = tmp_path / "versions"
    versions.mkdir()
    ini = (
        (ROOT / "alembic.ini")
        .read_text(encoding="utf-8")
        .replace(
            "[alembic]\n",
            f"[alembic]\nversion_locations = {ROOT / 'server/migrations/versions'} {versions}\n",
            1,
        )
    )
    (tmp_path / "alembic.ini").write_text(ini, encoding="utf-8")
    made = _alembic(
        "-c", str(tmp_path / "alembic.ini"), "-x", url, "revision", "--autogenerate",
        "--rev-id", "9999", "-m", "probe", "--version-path", str(versions),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (script,) = versions.glob("9999_probe.py")
    text = script.read_text(encoding="utf-8")
    heads = _alembic("heads").stdout.split()
    assert f"down_revision = {heads[0]!r}" in text
    body = text.split("def upgrade() -> None:\n", 1)[1].split("\ndef ", 1)[0]
    code = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert code == ["pass"], body  # the models match the migrations: nothing to do
