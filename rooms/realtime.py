"""Socket.IO events of a room: join/leave, presence, chat, hands and seats.

Client→server: ``room:join``, ``room:leave``, ``presence:update``, ``chat:send``, ``chat:delete``,
``chat:set_mode``, ``hand:raise``, ``hand:lower``, ``seat:grant``, ``seat:revoke``. Server→client:
``presence:delta``, ``chat:message``, ``chat:deleted``, ``chat:mode``, ``floor`` (plus ``room:updated``, ``member:updated``, ``venues``,
``agenda`` after REST changes). Every handler checks the joined role against the permission table;
moderator actions re-read the role from the database so a demotion takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import socketio
from pydantic import Field, StrictBool
from sqlalchemy import select

from rooms import chat
from rooms.floor import FloorService
from rooms.joined import joined_role as joined_role
from rooms.joined import joined_rooms, set_joined
from rooms.membership import authorize, authorize_in
from rooms.models import Venue
from rooms.notify import mod_channel, room_channel
from rooms.permissions import Action, Role, allowed, require
from rooms.presence import PresenceService
from rooms.schemas import ID, Strict
from rooms.shared import SharedState
from rooms.state import JoinState, room_state
from server.config import Settings
from server.db import Database
from server.errors import Conflict, Forbidden, NotFound, ValidationError
from server.models import User
from server.ratelimit import Limit, RateLimits
from server.realtime import Realtime, Reply, principal_of_sid

log = logging.getLogger(__name__)

__all__ = ["RoomEvents", "joined_role"]


class RoomRef(Strict):
    room_id: str = ID


class PresenceIn(Strict):
    room_id: str = ID
    venue_id: str | None = Field(default=None, max_length=32)
    mic: StrictBool | None = None
    camera: StrictBool | None = None


class ChatSendIn(Strict):
    room_id: str = ID
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    text: str = Field(min_length=1, max_length=100_000)


class ChatDeleteIn(Strict):
    room_id: str = ID
    message_id: int = Field(ge=1, strict=True)


class ChatModeIn(Strict):
    room_id: str = ID
    slow_seconds: int | None = Field(
        default=None, ge=0, le=chat.SLOW_MAX, strict=True, description="0: slow mode off"
    )
    moderated: StrictBool | None = None


class HandIn(Strict):
    room_id: str = ID
    user_id: int | None = Field(
        default=None, ge=1, strict=True, description="lower someone else's hand (moderators)"
    )


class SeatIn(Strict):
    room_id: str = ID
    user_id: int = Field(ge=1, strict=True)


@dataclass
class RoomEvents:
    """Registers the handlers; holds what they share."""

    parts: JoinState
    sio: socketio.AsyncServer
    db: Database
    settings: Settings
    shared: SharedState
    presence: PresenceService
    floor: FloorService
    limits: RateLimits
    # One chat-mode change at a time in this process: two switches clicked in quick succession must reach
    # everyone in the order they were stored (SQLite has no row lock to order them, and the last broadcast
    # wins on every page). The row lock orders them across processes on PostgreSQL.
    _mode_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def install(self, realtime: Realtime) -> None:
        sio = self.sio

        @realtime.event("room:join", RoomRef)
        async def join(sid: str, p: RoomRef) -> Reply:
            principal = await principal_of_sid(sio, sid)
            # One database session for the whole join (one pool checkout and its ping, not three)
            async with self.db.session() as session:
                role = await authorize_in(session, self.db, principal, p.room_id, Action.ROOM_VIEW)
                # the school groups a crowd on the live page
                school = await session.scalar(select(User.school).where(User.id == principal.user_id))
                # in the room's channel before its chat is read: a message stored later is broadcast to us
                await set_joined(sio, sid, p.room_id, role)
                await sio.enter_room(sid, room_channel(p.room_id))
                if allowed(role, Action.SEAT_GRANT):
                    await sio.enter_room(sid, mod_channel(p.room_id))
                entry = {"user_id": principal.user_id, "name": principal.name, "school": school or "",
                         "role": role.value, "venue_id": None, "mic": False, "camera": False,
                         "at": time.time()}  # fmt: skip
                await self.presence.put(p.room_id, sid, entry)
                log.info("room join room=%s user=%s role=%s sid=%s", p.room_id, principal.user_id, role, sid)
                state = await room_state(
                    self.parts, session, self.db, self.presence, self.floor, self.settings.rooms_default_seats,
                    principal, p.room_id, role.value,
                )  # fmt: skip
            return {"state": state}

        @realtime.event("room:leave", RoomRef)
        async def leave(sid: str, p: RoomRef) -> Reply:
            await joined_role(sio, sid, p.room_id)
            await self._leave(sid, p.room_id)
            return {}

        @realtime.event("presence:update", PresenceIn)
        async def presence_update(sid: str, p: PresenceIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            role = await joined_role(sio, sid, p.room_id)
            if (p.mic or p.camera) and not await self._may_use_av(p.room_id, principal.user_id, role):
                raise Forbidden("take a seat first (raise your hand)", code="no_seat")
            if p.venue_id is not None:
                async with self.db.session() as session:
                    venue = await session.get(Venue, p.venue_id)
                if venue is None or venue.room_id != p.room_id:
                    raise NotFound(f"venue {p.venue_id} not found in this room", code="venue_not_found")
            entry = await self.presence.get(p.room_id, sid)
            if entry is None:
                raise Conflict("not in presence; join again", code="not_joined")
            entry.pop("node", None)
            changes = p.model_dump(exclude_unset=True, exclude={"room_id"})
            await self.presence.put(p.room_id, sid, {**entry, **changes})
            return {}

        @realtime.event("chat:send", ChatSendIn)
        async def chat_send(sid: str, p: ChatSendIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            role = await joined_role(sio, sid, p.room_id)
            require(role, Action.CHAT_SEND)
            if len(p.text) > self.settings.rooms_chat_max_chars:
                raise ValidationError(
                    f"text: at most {self.settings.rooms_chat_max_chars} characters", code="too_long"
                )
            if not p.text.strip():
                raise ValidationError("text: must not be blank")

            async def check(mode: chat.ChatMode) -> None:
                await chat.admit(self.limits, mode, role, p.room_id, principal.user_id)
                await self.check_chat_rate(principal.user_id)

            msg, new = await chat.post_text(
                self.db, check, room_id=p.room_id, user_id=principal.user_id, author_name=principal.name,
                client_id=p.client_id, text=p.text,
            )  # fmt: skip
            if new:
                await sio.emit("chat:message", msg.model_dump(), room=room_channel(p.room_id))
            return {"message": msg.model_dump(), "duplicate": not new}

        @realtime.event("chat:delete", ChatDeleteIn)
        async def chat_delete(sid: str, p: ChatDeleteIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            await joined_role(sio, sid, p.room_id)
            await authorize(self.db, principal, p.room_id, Action.CHAT_DELETE)
            msg = await chat.soft_delete(self.db, p.room_id, p.message_id, principal.user_id)
            body = {"room_id": p.room_id, "message_id": msg.id, "deleted_by": principal.user_id}
            await sio.emit("chat:deleted", body, room=room_channel(p.room_id))
            return {"message_id": msg.id}

        @realtime.event("chat:set_mode", ChatModeIn)
        async def chat_set_mode(sid: str, p: ChatModeIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            await joined_role(sio, sid, p.room_id)
            await authorize(self.db, principal, p.room_id, Action.CHAT_MODERATE)
            async with self._mode_lock:
                mode = await chat.set_mode(
                    self.db, p.room_id, slow_seconds=p.slow_seconds, moderated=p.moderated
                )
                body = {"room_id": p.room_id, **mode.as_dict(), "by": principal.user_id}
                await sio.emit("chat:mode", body, room=room_channel(p.room_id))
            log.info("chat mode room=%s user=%s mode=%s", p.room_id, principal.user_id, mode)
            return {"mode": mode.as_dict()}

        @realtime.event("hand:raise", RoomRef)
        async def hand_raise(sid: str, p: RoomRef) -> Reply:
            principal = await principal_of_sid(sio, sid)
            require(await joined_role(sio, sid, p.room_id), Action.HAND_RAISE)
            return {"floor": await self.floor.raise_hand(p.room_id, principal.user_id)}

        @realtime.event("hand:lower", HandIn)
        async def hand_lower(sid: str, p: HandIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            await joined_role(sio, sid, p.room_id)
            target = p.user_id or principal.user_id
            if target != principal.user_id:
                await authorize(self.db, principal, p.room_id, Action.SEAT_GRANT)
            return {"floor": await self.floor.lower_hand(p.room_id, target)}

        @realtime.event("seat:grant", SeatIn)
        async def seat_grant(sid: str, p: SeatIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            await joined_role(sio, sid, p.room_id)
            await authorize(self.db, principal, p.room_id, Action.SEAT_GRANT)
            if not await self.presence.is_online(p.room_id, p.user_id):
                raise NotFound(f"user {p.user_id} is not in the room", code="not_online")
            return {"floor": await self.floor.grant(p.room_id, p.user_id)}

        @realtime.event("seat:revoke", SeatIn)
        async def seat_revoke(sid: str, p: SeatIn) -> Reply:
            principal = await principal_of_sid(sio, sid)
            await joined_role(sio, sid, p.room_id)
            if p.user_id != principal.user_id:  # giving up one's own seat needs no permission
                await authorize(self.db, principal, p.room_id, Action.SEAT_GRANT)
            return {"floor": await self.floor.revoke(p.room_id, p.user_id)}

        @realtime.on_disconnect
        async def disconnect(sid: str) -> None:
            for room_id in await joined_rooms(sio, sid):
                await self._leave(sid, room_id)

    async def apply_role(self, room_id: str, user_id: int, role: Role | None) -> None:
        """A member's role changed (REST, any process): update this process's connections of that user,
        so ``joined_role`` and the moderators' Socket.IO room follow at once. ``None``: the user lost
        access (left the studio the room belongs to); their connections leave the room (``room:removed``)."""
        for sid in list(self.presence.local.get(room_id, ())):
            try:
                principal = await principal_of_sid(self.sio, sid)
            except Exception:
                continue  # the connection is closing
            if principal.user_id != user_id or room_id not in await joined_rooms(self.sio, sid):
                continue
            if role is None:
                await self._leave(sid, room_id)
                await self.sio.emit("room:removed", {"room_id": room_id}, to=sid)
                continue
            await set_joined(self.sio, sid, room_id, role)
            if allowed(role, Action.SEAT_GRANT):
                await self.sio.enter_room(sid, mod_channel(room_id))
            else:
                await self.sio.leave_room(sid, mod_channel(room_id))
            entry = await self.presence.get(room_id, sid)
            if entry is not None:
                entry.pop("node", None)
                await self.presence.put(room_id, sid, {**entry, "role": role.value})
        log.info("room role applied room=%s user=%s role=%s", room_id, user_id, role)

    async def _leave(self, sid: str, room_id: str) -> None:
        await self.presence.remove(room_id, sid)
        await set_joined(self.sio, sid, room_id, None)
        await self.sio.leave_room(sid, room_channel(room_id))
        await self.sio.leave_room(sid, mod_channel(room_id))

    async def _may_use_av(self, room_id: str, user_id: int, role: Role) -> bool:
        if allowed(role, Action.MEDIA_PUBLISH_VENUE):
            return True
        return await self.floor.may_publish_seat(room_id, user_id, role)

    async def check_chat_rate(self, user_id: int) -> None:
        """Per user across processes: ``rooms_chat_rate`` messages (text or voice) per 5 seconds."""
        await self.limits.enforce(
            Limit("chat", self.settings.rooms_chat_rate, 5), str(user_id),
            code="chat_rate", message="too many messages; wait a few seconds",
        )  # fmt: skip
