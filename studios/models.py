"""Studios (名师工作室): the team, its members and invites, the rooms it runs and its lesson-study cycles.

The library (``studios/library``) and the records (``studios/records``) hang their own tables off these.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rooms.api import InviteFields
from server.db import Base, now


class Studio(Base):
    __tablename__ = "studios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64), default="")
    grade_band: Mapped[str] = mapped_column(String(64), default="")  # 学段: 小学 / 初中 / 高中 …
    description: Mapped[str] = mapped_column(Text, default="")
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # 主持人 (also a host member row)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now, onupdate=now)
    archived_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class StudioMember(Base):
    """One person in a studio with a studio role (studios.permissions.StudioRole: host, core, participant)."""

    __tablename__ = "studio_members"
    __table_args__ = (
        Index("ix_studio_members_user", "user_id"),  # "my studios", the room-role hook
        Index("ix_studio_members_studio_role", "studio_id", "role"),  # the 1 + N + X counts
    )

    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[float] = mapped_column(Float, default=now)


class StudioInvite(InviteFields, Base):
    """An invite link + code into a studio (same code alphabet and rules as a room's invite)."""

    __tablename__ = "studio_invites"
    __table_args__ = (Index("ix_studio_invites_studio", "studio_id"),)

    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))


class Cycle(Base):
    """A lesson-study cycle (课例研磨): the studio's rooms in order, one lesson plan carried through them."""

    __tablename__ = "studio_cycles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # the lesson (课题)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float, default=now)


class StudioRoom(Base):
    """A room (activity) that belongs to a studio: its members reach it by their studio role.

    ``*_role`` say which room role (rooms.permissions.Role) each studio role gets here by default; a room
    ``Member`` row for a person overrides it. In a cycle, ``position`` orders the steps and ``doc_id`` is the
    lesson plan the step works on; ``final_version_id`` is the draft carried out of it into the next step.
    """

    __tablename__ = "studio_rooms"
    __table_args__ = (
        Index("ix_studio_rooms_studio", "studio_id"),
        UniqueConstraint("cycle_id", "position", name="uq_studio_rooms_cycle_position"),
    )

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    host_role: Mapped[str] = mapped_column(String(16))
    core_role: Mapped[str] = mapped_column(String(16))
    participant_role: Mapped[str] = mapped_column(String(16))
    cycle_id: Mapped[str | None] = mapped_column(
        ForeignKey("studio_cycles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stage: Mapped[str] = mapped_column(String(16), default="")  # studios.cycles.Stage value in a cycle
    doc_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    final_version_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[float] = mapped_column(Float, default=now)
