"""Alembic environment, for Moke's own start-up and for Alembic's command line.

At start-up ``server.db.Database.migrate()`` hands in its connection (``config.attributes["connection"]``),
already inside the migration lock. From the command line (``alembic.ini`` at the repository root) there is
none: the environment opens the database Moke is configured for — ``-x url=…`` first, else the settings
(``MOKE_DATABASE_URL``, or the SQLite file in ``MOKE_DATA_DIR``) — through :class:`server.db.Database`, so the
SQLite pragmas are the server's.

``target_metadata`` is every model's table: the packages' ``models`` modules register on
``server.db.Base.metadata`` when they are imported, and the wiring (``server.app``) imports them all.
Autogenerate compares types as ``tests/server/test_migrations.py`` does.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from server.db import Base, Database, managed_table

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=managed_table,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    import server.app  # noqa: F401  (the wiring: every package's models on Base.metadata)
    from server.config import load_settings

    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        url = load_settings(ensure_secret=False).effective_database_url
    db = Database(url)
    await db.start(migrate=False)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await db.stop()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(run_from_command_line())
