"""studios: studios, their members and invites, lesson-study cycles, the studios' rooms

Revision ID: 0009
Revises: 0011 (the records landed first)
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studios",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("grade_band", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("host_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("archived_at", sa.Float, nullable=True),
    )
    op.create_table(
        "studio_members",
        sa.Column(
            "studio_id", sa.String(32), sa.ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_at", sa.Float, nullable=False),
    )
    op.create_index("ix_studio_members_user", "studio_members", ["user_id"])
    op.create_index("ix_studio_members_studio_role", "studio_members", ["studio_id", "role"])
    op.create_table(
        "studio_invites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "studio_id", sa.String(32), sa.ForeignKey("studios.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("max_uses", sa.Integer, nullable=True),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_index("ix_studio_invites_studio", "studio_invites", ["studio_id"])
    op.create_table(
        "studio_cycles",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "studio_id", sa.String(32), sa.ForeignKey("studios.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_studio_cycles_studio_id", "studio_cycles", ["studio_id"])
    op.create_table(
        "studio_rooms",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "studio_id", sa.String(32), sa.ForeignKey("studios.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("host_role", sa.String(16), nullable=False),
        sa.Column("core_role", sa.String(16), nullable=False),
        sa.Column("participant_role", sa.String(16), nullable=False),
        sa.Column(
            "cycle_id", sa.String(32), sa.ForeignKey("studio_cycles.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("position", sa.Integer, nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("doc_id", sa.String(32), nullable=True),
        sa.Column("final_version_id", sa.String(32), nullable=True),
        sa.Column("added_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("added_at", sa.Float, nullable=False),
        sa.UniqueConstraint("cycle_id", "position", name="uq_studio_rooms_cycle_position"),
    )
    op.create_index("ix_studio_rooms_studio", "studio_rooms", ["studio_id"])
    op.create_index("ix_studio_rooms_cycle_id", "studio_rooms", ["cycle_id"])


def downgrade() -> None:
    op.drop_table("studio_rooms")
    op.drop_table("studio_cycles")
    op.drop_table("studio_invites")
    op.drop_table("studio_members")
    op.drop_table("studios")
