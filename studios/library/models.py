"""Library items and their tags. The search index beside them (``library_search``) is not an ORM table: it
is an SQLite FTS5 virtual table or a PostgreSQL tsvector table, built by the migration (``search.py``)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UNMANAGED_TABLES, Base, now


class Kind(StrEnum):
    PLAN = "plan"  # a lesson plan's final version, exported (DOCX) when it was added
    RECORDING = "recording"  # a room's recording (课堂实录)
    REPORT = "report"  # an evaluation report of a segment (PDF or DOCX)
    VOICE = "voice"  # a voice note from a room's chat
    FILE = "file"  # an uploaded file: PPT, PDF, DOCX, image


class Visibility(StrEnum):
    MEMBERS = "members"  # the studio's members
    PUBLIC = "public"  # anyone with the item's link, read-only (the showcase page)


class LibraryItem(Base):
    """One resource; its bytes are a file of its own under ``DATA_DIR/library`` (a hard link when it came
    from a room's recording or voice note), so it outlives the room's copy."""

    __tablename__ = "library_items"
    __table_args__ = (
        Index("ix_library_items_studio", "studio_id", "created_at"),
        Index("ix_library_items_cycle", "cycle_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    cycle_id: Mapped[str | None] = mapped_column(
        ForeignKey("studio_cycles.id", ondelete="SET NULL"), nullable=True
    )
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # Kind value
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64), default="")
    grade: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # What search reads besides the title: a plan's or a report's text when it was added (kept to re-index)
    content_text: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # doc, recording, voice note id
    filename: Mapped[str] = mapped_column(String(200))  # the name offered on download
    stored: Mapped[str] = mapped_column(String(64))  # the file under DATA_DIR/library
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.MEMBERS.value)
    public_token: Mapped[str | None] = mapped_column(String(48), nullable=True, unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class LibraryTag(Base):
    __tablename__ = "library_tags"
    __table_args__ = (Index("ix_library_tags_tag", "tag"),)

    item_id: Mapped[str] = mapped_column(ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


Base.metadata.info.setdefault(UNMANAGED_TABLES, set()).add("library_search")  # built by the migration
