"""Model rows -> API views, and the small reads several modules share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import AgendaSegment, ChatMessage, Invite, Room, Venue
from rooms.schemas import InviteOut, MessageOut, RoomOut, SegmentOut, VenueOut


def room_out(room: Room, default_seats: int, my_role: str | None = None) -> RoomOut:
    return RoomOut(
        id=room.id, title=room.title, kind=room.kind, subject=room.subject, grade=room.grade,
        description=room.description, starts_at=room.starts_at, ends_at=room.ends_at,
        seats=room.seats or default_seats, created_by=room.created_by, created_at=room.created_at,
        updated_at=room.updated_at, archived_at=room.archived_at, my_role=my_role,
    )  # fmt: skip


def venue_out(v: Venue) -> VenueOut:
    return VenueOut(
        id=v.id, room_id=v.room_id, name=v.name, school=v.school, presenter_id=v.presenter_id,
        position=v.position,
    )  # fmt: skip


def segment_out(s: AgendaSegment) -> SegmentOut:
    return SegmentOut(
        id=s.id, room_id=s.room_id, position=s.position, title=s.title, venue_id=s.venue_id,
        planned_start=s.planned_start, duration_minutes=s.duration_minutes, notes=s.notes,
    )  # fmt: skip


def invite_out(i: Invite, base_url: str) -> InviteOut:
    return InviteOut(
        id=i.id, room_id=i.room_id, code=i.code, link=f"{base_url}/join/{i.code}", role=i.role,
        expires_at=i.expires_at, max_uses=i.max_uses, uses=i.uses, created_at=i.created_at,
        revoked_at=i.revoked_at,
    )  # fmt: skip


def message_out(m: ChatMessage, voice_duration: float | None = None) -> MessageOut:
    deleted = m.deleted_at is not None
    return MessageOut(
        id=m.id, room_id=m.room_id, user_id=m.user_id, author_name=m.author_name, client_id=m.client_id,
        kind=m.kind, text="" if deleted else m.text, voice_id=None if deleted else m.voice_id,
        voice_duration=None if deleted else voice_duration, created_at=m.created_at, deleted=deleted,
    )  # fmt: skip


async def list_venues(session: AsyncSession, room_id: str) -> list[VenueOut]:
    rows = await session.scalars(
        select(Venue).where(Venue.room_id == room_id).order_by(Venue.position, Venue.id)
    )
    return [venue_out(v) for v in rows]


async def list_agenda(session: AsyncSession, room_id: str) -> list[SegmentOut]:
    rows = await session.scalars(
        select(AgendaSegment).where(AgendaSegment.room_id == room_id).order_by(AgendaSegment.position)
    )
    return [segment_out(s) for s in rows]
