"""collab: documents, update log, snapshots, versions

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
    )
    op.create_index("ix_documents_room_id", "documents", ["room_id"])
    op.create_table(
        "doc_updates",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("doc_id", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_doc_updates_doc_id", "doc_updates", ["doc_id", "id"])
    op.create_table(
        "doc_snapshots",
        sa.Column("doc_id", sa.String(32), primary_key=True),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("last_update_id", BIGID, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "doc_versions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("doc_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("restored_from", sa.String(32), nullable=True),
    )
    op.create_index("ix_doc_versions_doc_id", "doc_versions", ["doc_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_table("doc_versions")
    op.drop_table("doc_snapshots")
    op.drop_table("doc_updates")
    op.drop_table("documents")
