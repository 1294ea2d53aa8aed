"""Tables of the main-venue controller: persisted program state and the hand-off audit (migration 0005)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class ProgramRecord(Base):
    """A room's controller state (``venues.state.ProgramState`` as JSON), guarded by its epoch."""

    __tablename__ = "venue_program"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class Handoff(Base):
    """One change of the program source: who, when, from, to, epoch, and when it happened on the wire."""

    __tablename__ = "venue_handoffs"
    __table_args__ = (Index("ix_venue_handoffs_room", "room_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # venues.state.Kind value
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the controller itself
    from_venue: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_venue: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: the slate
    requested_at: Mapped[float] = mapped_column(Float)
    switched: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: not reported yet
    switched_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    switch_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
