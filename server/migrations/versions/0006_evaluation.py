"""evaluation: rubrics, observation notes, evaluations

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_rubrics",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("room_id", "version", name="uq_eval_rubrics_room_version"),
    )
    op.create_index("ix_eval_rubrics_room_id", "eval_rubrics", ["room_id"])
    op.create_table(
        "eval_settings",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "eval_segments",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("segment_id", sa.String(64), primary_key=True),
        sa.Column("closed_at", sa.Float, nullable=True),
        sa.Column("closed_by", sa.Integer, nullable=True),
    )
    op.create_table(
        "eval_notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("segment_id", sa.String(64), nullable=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("venue_id", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("criterion", sa.String(64), nullable=True),
        sa.Column("shared_at", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("room_id", "author_id", "client_id", name="uq_eval_notes_client"),
    )
    op.create_index("ix_eval_notes_room_id", "eval_notes", ["room_id"])
    op.create_table(
        "eval_evaluations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("segment_id", sa.String(64), nullable=False),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("rubric_id", sa.String(32), sa.ForeignKey("eval_rubrics.id"), nullable=False),
        sa.Column("scores", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("room_id", "segment_id", "observer_id", name="uq_eval_evaluations_observer"),
    )
    op.create_index("ix_eval_evaluations_room_id", "eval_evaluations", ["room_id"])


def downgrade() -> None:
    op.drop_table("eval_evaluations")
    op.drop_table("eval_notes")
    op.drop_table("eval_segments")
    op.drop_table("eval_settings")
    op.drop_table("eval_rubrics")
