"""What the rest of Moke may use of ``rooms``: people, roles and the permission table, the floor,
the room tables other packages read, the Socket.IO channels, and the join-state parts.

Other packages (``collab``, ``media``, ``venues``, ``evaluation``) import from this module only;
``rooms`` itself imports none of them.
"""

from __future__ import annotations

from aiohttp import web

from rooms.floor import FLOOR, FloorService, seat_needed
from rooms.membership import authorize, require_venue_publisher
from rooms.models import AgendaSegment, Member, Room, Venue
from rooms.notify import mod_channel, room_channel
from rooms.permissions import Action, Role, allowed, require
from rooms.routes import ROLE_CHANNEL
from rooms.state import JoinPart, JoinState

# Parts other packages add to the ``room:join`` answer (``JOIN_STATE.add(name, fn)`` in their setup).
JOIN_STATE: web.AppKey[JoinState] = web.AppKey("moke_rooms_join_state", JoinState)

__all__ = [
    "FLOOR",
    "JOIN_STATE",
    "ROLE_CHANNEL",
    "Action",
    "AgendaSegment",
    "FloorService",
    "JoinPart",
    "JoinState",
    "Member",
    "Role",
    "Room",
    "Venue",
    "allowed",
    "authorize",
    "mod_channel",
    "require",
    "require_venue_publisher",
    "room_channel",
    "seat_needed",
]
