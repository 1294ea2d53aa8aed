"""Stored recordings (课堂实录): one row per recorded source, the file lives under DATA_DIR/recordings."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class RecordingStatus(StrEnum):
    RECORDING = "recording"
    DONE = "done"
    INTERRUPTED = "interrupted"  # the server stopped without closing the file (crash); playable up to there
    FAILED = "failed"  # the file could not be written (the disk filled up); playable up to the failure


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    venue_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    started_at: Mapped[float] = mapped_column(Float)  # when the host asked for it
    # UNIX time of the file's time zero: the arrival of its first video keyframe, which comes a little
    # (up to a throttled keyframe request) after ``started_at``. Recorded notes are placed against it.
    origin: Mapped[float | None] = mapped_column(Float, nullable=True)
    stopped_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255))  # relative to the data directory
    content_type: Mapped[str] = mapped_column(String(64))
