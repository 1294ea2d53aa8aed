"""evaluation: structured classroom observation (runs of an instrument, coded samples)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_observation_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("segment_id", sa.String(64), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=False),
        sa.Column("interval_seconds", sa.Float, nullable=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("started_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("room_id", "segment_id", "instrument", name="uq_eval_observation_runs_segment"),
    )
    op.create_index("ix_eval_observation_runs_room_id", "eval_observation_runs", ["room_id"])
    op.create_table(
        "eval_observation_samples",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("eval_observation_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("observer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.Integer, nullable=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("run_id", "observer_id", "client_id", name="uq_eval_observation_samples_client"),
    )
    op.create_index("ix_eval_observation_samples_run_id", "eval_observation_samples", ["run_id"])


def downgrade() -> None:
    op.drop_table("eval_observation_samples")
    op.drop_table("eval_observation_runs")
