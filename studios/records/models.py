"""Tables of the records: raw stays and seat spans (append-mostly), one attendance line per teacher and
activity (kept up to date from the stays), and the last heartbeat of each server process."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, now

_ID = BigInteger().with_variant(Integer, "sqlite")


class Stay(Base):
    """One connection's time in a room, as presence saw it: opened at ``room:join``, closed when the
    connection leaves, or at its process's last heartbeat when the process died (``ended_by``)."""

    __tablename__ = "record_stays"
    __table_args__ = (
        Index("ix_record_stays_room_user", "room_id", "user_id"),
        # open stays per process: what the heartbeat reconciliation looks at
        Index(
            "ix_record_stays_open_node",
            "node_id",
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(64))
    sid: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    venue_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    school: Mapped[str] = mapped_column(String(128), default="")
    joined_at: Mapped[float] = mapped_column(Float)
    left_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # leave | crash | shutdown


class SeatSpan(Base):
    """Time a teacher held an interactive seat (发言席位) in a room."""

    __tablename__ = "record_seats"
    __table_args__ = (
        Index("ix_record_seats_room_user", "room_id", "user_id"),
        # one open span per teacher and room, even when two processes see the same grant
        Index(
            "uq_record_seats_open",
            "room_id",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Attendance(Base):
    """One teacher in one activity: the merged stays (what the dashboard and the exports count)."""

    __tablename__ = "record_attendance"
    __table_args__ = (
        Index("ix_record_attendance_user_first", "user_id", "first_join"),
        Index("ix_record_attendance_first", "first_join"),
    )

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    school: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    first_join: Mapped[float] = mapped_column(Float)
    last_leave: Mapped[float | None] = mapped_column(Float, nullable=True)  # None while present
    present_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    stays: Mapped[int] = mapped_column(Integer, default=0)  # merged stays (1 = continuous)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class NodeSeen(Base):
    """The last heartbeat of each server process: where a crashed process's stays end."""

    __tablename__ = "record_nodes"

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[float] = mapped_column(Float)
