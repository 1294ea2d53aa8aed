"""venues: main-venue controller state and hand-off audit

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "venue_program",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "venue_handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("from_venue", sa.String(32), nullable=True),
        sa.Column("to_venue", sa.String(32), nullable=True),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("switched", sa.Boolean, nullable=True),
        sa.Column("switched_at", sa.Float, nullable=True),
        sa.Column("switch_seconds", sa.Float, nullable=True),
    )
    op.create_index("ix_venue_handoffs_room", "venue_handoffs", ["room_id", "epoch"])


def downgrade() -> None:
    op.drop_index("ix_venue_handoffs_room", table_name="venue_handoffs")
    op.drop_table("venue_handoffs")
    op.drop_table("venue_program")
