"""studios: the resource library (items, tags, and the full-text index of each engine)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "studio_id", sa.String(32), sa.ForeignKey("studios.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "cycle_id", sa.String(32), sa.ForeignKey("studio_cycles.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("grade", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("content_text", sa.Text, nullable=False),
        sa.Column("source_id", sa.String(64), nullable=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("stored", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("public_token", sa.String(48), nullable=True, unique=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_library_items_studio", "library_items", ["studio_id", "created_at"])
    op.create_index("ix_library_items_cycle", "library_items", ["cycle_id"])
    op.create_table(
        "library_tags",
        sa.Column(
            "item_id", sa.String(32), sa.ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("tag", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_library_tags_tag", "library_tags", ["tag"])
    # The full-text index (studios/library/search.py): not an ORM table, so `alembic check` skips it
    # (server.db.UNMANAGED_TABLES).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE library_search USING fts5(item_id UNINDEXED, terms, tokenize='unicode61')"
        )
    else:
        op.execute(
            "CREATE TABLE library_search (item_id VARCHAR(32) PRIMARY KEY "
            "REFERENCES library_items(id) ON DELETE CASCADE, terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_library_search_terms ON library_search USING GIN (terms)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS library_search")
    op.drop_table("library_tags")
    op.drop_table("library_items")
