"""rooms: venues, agenda, chat, voice notes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _bigint() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("school", sa.String(128), nullable=False, server_default=""),
        sa.Column("presenter_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_venues_room_id", "venues", ["room_id"])
    op.create_table(
        "agenda_segments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("venue_id", sa.String(32), sa.ForeignKey("venues.id", ondelete="SET NULL"), nullable=True),
        sa.Column("planned_start", sa.Float, nullable=True),
        sa.Column("duration_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_agenda_segments_room_id", "agenda_segments", ["room_id"])
    op.create_table(
        "chat_messages",
        sa.Column("id", _bigint(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False, server_default="text"),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("voice_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
        sa.Column("deleted_by", sa.Integer, nullable=True),
        sa.UniqueConstraint("room_id", "user_id", "client_id", name="uq_chat_client"),
    )
    op.create_index("ix_chat_room_id_id", "chat_messages", ["room_id", "id"])
    op.create_table(
        "voice_notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("filename", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_voice_notes_room_id", "voice_notes", ["room_id"])


def downgrade() -> None:
    op.drop_table("voice_notes")
    op.drop_table("chat_messages")
    op.drop_table("agenda_segments")
    op.drop_table("venues")
