"""studios/records: durable stays, seat spans, attendance lines, process heartbeats

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_stays",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("venue_id", sa.String(32), nullable=True),
        sa.Column("school", sa.String(128), nullable=False),
        sa.Column("joined_at", sa.Float, nullable=False),
        sa.Column("left_at", sa.Float, nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
    )
    op.create_index("ix_record_stays_room_user", "record_stays", ["room_id", "user_id"])
    op.create_index(
        "ix_record_stays_open_node",
        "record_stays",
        ["node_id"],
        sqlite_where=sa.text("left_at IS NULL"),
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_table(
        "record_seats",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
    )
    op.create_index("ix_record_seats_room_user", "record_seats", ["room_id", "user_id"])
    op.create_index(
        "uq_record_seats_open",
        "record_seats",
        ["room_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "record_attendance",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("school", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("first_join", sa.Float, nullable=False),
        sa.Column("last_leave", sa.Float, nullable=True),
        sa.Column("present_seconds", sa.Float, nullable=False),
        sa.Column("stays", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_record_attendance_user_first", "record_attendance", ["user_id", "first_join"])
    op.create_index("ix_record_attendance_first", "record_attendance", ["first_join"])
    op.create_table(
        "record_nodes",
        sa.Column("node_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_nodes")
    op.drop_table("record_attendance")
    op.drop_table("record_seats")
    op.drop_table("record_stays")
