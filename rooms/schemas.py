"""Pydantic shapes of the rooms REST API and of its Socket.IO payloads (bodies in, views out)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from rooms.kinds import RoomKind
from rooms.permissions import Role

RoomId = str
ID = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- rooms ----------------------------------------------------------------------------------------
class RoomIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    kind: RoomKind
    subject: str = Field(default="", max_length=64)
    grade: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=5000)
    starts_at: FiniteFloat | None = None
    ends_at: FiniteFloat | None = None
    seats: int | None = Field(default=None, ge=1, le=50, description="interactive seats (default 9)")


class RoomPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    kind: RoomKind | None = None
    subject: str | None = Field(default=None, max_length=64)
    grade: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=5000)
    starts_at: FiniteFloat | None = None
    ends_at: FiniteFloat | None = None
    seats: int | None = Field(default=None, ge=1, le=50)


class RoomOut(BaseModel):
    id: str
    title: str
    kind: str
    subject: str
    grade: str
    description: str
    starts_at: float | None
    ends_at: float | None
    seats: int
    created_by: int
    created_at: float
    updated_at: float
    archived_at: float | None
    my_role: str | None = None


class MemberOut(BaseModel):
    user_id: int
    display_name: str
    school: str
    role: str
    is_guest: bool
    venue_id: str | None
    joined_at: float
    by_default: bool = Field(
        default=False, description="the role is a default (a studio member's), not one given in this room"
    )


class MemberPatch(Strict):
    role: Role


# ---- invites --------------------------------------------------------------------------------------
class InviteIn(Strict):
    role: Role = Role.OBSERVER
    expires_in: float | None = Field(default=None, gt=0, le=366 * 86400, description="seconds from now")
    max_uses: int | None = Field(default=None, ge=1, le=100_000)


class InviteOut(BaseModel):
    id: str
    room_id: str
    code: str
    link: str
    role: str
    expires_at: float | None
    max_uses: int | None
    uses: int
    created_at: float
    revoked_at: float | None


class InvitePreview(BaseModel):
    room_id: str
    title: str
    kind: str
    starts_at: float | None
    role: str


class RedeemIn(Strict):
    code: str = Field(min_length=4, max_length=32)


class RedeemOut(BaseModel):
    room_id: str
    role: str


# ---- venues and agenda ----------------------------------------------------------------------------
class VenueIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    school: str = Field(default="", max_length=128)
    presenter_id: int | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class VenuePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    school: str | None = Field(default=None, max_length=128)
    presenter_id: int | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class VenueOut(BaseModel):
    id: str
    room_id: str
    name: str
    school: str
    presenter_id: int | None
    position: int


class SegmentIn(Strict):
    id: str | None = Field(default=None, max_length=32, description="keep an existing segment's id")
    title: str = Field(min_length=1, max_length=200)
    venue_id: str | None = Field(default=None, max_length=32)
    planned_start: FiniteFloat | None = None
    duration_minutes: int = Field(default=0, ge=0, le=24 * 60)
    notes: str = Field(default="", max_length=5000)


class AgendaIn(Strict):
    segments: list[SegmentIn] = Field(max_length=200)


class SegmentOut(BaseModel):
    id: str
    room_id: str
    position: int
    title: str
    venue_id: str | None
    planned_start: float | None
    duration_minutes: int
    notes: str


class AgendaOut(BaseModel):
    room_id: str
    segments: list[SegmentOut]


# ---- chat -----------------------------------------------------------------------------------------
class MessageOut(BaseModel):
    id: int
    room_id: str
    user_id: int
    author_name: str
    client_id: str
    kind: str
    text: str
    voice_id: str | None
    voice_duration: float | None = None
    created_at: float
    deleted: bool


class ChatPage(BaseModel):
    room_id: str
    messages: list[MessageOut]
    more: bool


class GuestIn(BaseModel):
    code: str = Field(min_length=4, max_length=32, description="invite code (邀请码)")
    display_name: str = Field(min_length=1, max_length=64)
    school: str = Field(default="", max_length=128)
