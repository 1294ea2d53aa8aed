"""Lesson-plan documents, their update log, compacted snapshots and named versions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, now


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class DocUpdate(Base):
    """Append-only log of Yjs updates; written before an update is relayed to anyone."""

    __tablename__ = "doc_updates"
    __table_args__ = (Index("ix_doc_updates_doc_id", "doc_id", "id"),)  # a document's log in order

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    doc_id: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float, default=now)


class DocSnapshot(Base):
    """The merged state of every update with ``id <= last_update_id`` (compaction output)."""

    __tablename__ = "doc_snapshots"

    doc_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    last_update_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class DocVersion(Base):
    """A named draft (第一稿, 第二稿 …): the full document state at the time it was saved."""

    __tablename__ = "doc_versions"
    __table_args__ = (Index("ix_doc_versions_doc_id", "doc_id", "number", unique=True),)  # 第N稿 once each

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float, default=now)
    restored_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
