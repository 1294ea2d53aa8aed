"""rooms: chat modes for crowds — slow mode (seconds between one person's messages) and moderator-only

Revision ID: 0012
Revises: 0010 (the library, after the studios and the records)
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("chat_slow_seconds", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("chat_moderated", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("chat_moderated")
        batch.drop_column("chat_slow_seconds")
