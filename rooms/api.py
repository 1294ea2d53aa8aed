"""What the rest of Moke may use of ``rooms``: people, roles and the permission table, the floor,
the room tables other packages read, the Socket.IO channels, and the join-state parts.

Other packages (``collab``, ``media``, ``venues``, ``evaluation``) import from this module only;
``rooms`` itself imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from rooms import invites  # the invite-code machinery: issue, usable, count_use, revoke (rooms' and studios')
from rooms.floor import FloorService, screen_needs_seat, seat_needed
from rooms.guard import check_invite_attempts, invite_failed
from rooms.invites import new_code, new_id, normalize_code
from rooms.membership import (
    DefaultMembersProvider,
    DefaultRoleProvider,
    authorize,
    default_role,
    member_role,
    register_default_role,
    require_venue_publisher,
)
from rooms.models import AgendaSegment, ChatMessage, InviteFields, Member, Room, Venue, VoiceNote
from rooms.notify import mod_channel, room_channel
from rooms.permissions import Action, Role, allowed, require
from rooms.routes import ROLE_CHANNEL, announce_role
from rooms.schemas import RoomIn, RoomOut
from rooms.shared import SharedState
from rooms.state import JoinPart, JoinState
from rooms.views import room_out
from rooms.voice import VoiceChecker, voice_dir

if TYPE_CHECKING:  # rooms.realtime is the Socket.IO layer; only its type is needed here
    from rooms.realtime import RoomEvents

# Parts other packages add to the ``room:join`` answer (``JOIN_STATE.add(name, fn)`` in their setup).
JOIN_STATE: web.AppKey[JoinState] = web.AppKey("moke_rooms_join_state", JoinState)
# Seats and raised hands of every room (``holds_seat`` is what media asks before a seat publishes).
FLOOR: web.AppKey[FloorService] = web.AppKey("moke_rooms_floor", FloorService)
# Inside rooms: state shared across processes (presence, seats, rate limits) and the Socket.IO events.
SHARED: web.AppKey[SharedState] = web.AppKey("moke_rooms_shared", SharedState)
ROOM_EVENTS: web.AppKey[RoomEvents] = web.AppKey("moke_rooms_events")
VOICE_CHECKER: web.AppKey[VoiceChecker] = web.AppKey("moke_rooms_voice_checker", VoiceChecker)

__all__ = [
    "FLOOR",
    "JOIN_STATE",
    "ROLE_CHANNEL",
    "ROOM_EVENTS",
    "SHARED",
    "Action",
    "AgendaSegment",
    "ChatMessage",
    "DefaultMembersProvider",
    "DefaultRoleProvider",
    "FloorService",
    "InviteFields",
    "JoinPart",
    "JoinState",
    "Member",
    "Role",
    "Room",
    "RoomIn",
    "RoomOut",
    "SharedState",
    "Venue",
    "VoiceNote",
    "allowed",
    "announce_role",
    "authorize",
    "check_invite_attempts",
    "default_role",
    "invite_failed",
    "invites",
    "member_role",
    "mod_channel",
    "new_code",
    "new_id",
    "normalize_code",
    "register_default_role",
    "require",
    "require_venue_publisher",
    "room_channel",
    "room_out",
    "screen_needs_seat",
    "seat_needed",
    "voice_dir",
]
