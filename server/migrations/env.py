"""Alembic environment: always runs on the connection handed in by ``server.db``.

``target_metadata`` is every model's table: the packages' ``models`` modules register on
``server.db.Base.metadata`` when they are imported (the wiring, ``server.app``, imports them all), and
``tests/server/test_migrations.py`` compares it with the migrated schema.
"""

from alembic import context

from server.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through server.db.Database.migrate(), not the alembic CLI")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
