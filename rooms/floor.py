"""Floor control (发言管理): raised hands and a limited number of interactive seats per room.

Seats and hands live in :class:`~rooms.shared.SharedState`; granting is one atomic check-and-add
there (a Lua script on Redis), so the limit holds with concurrent grants on several processes.
A user who leaves the room (last connection gone, or swept as a ghost) loses hand and seat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import socketio

from rooms.models import Room
from rooms.notify import room_channel
from rooms.permissions import Action, Role, allowed
from rooms.presence import PresenceService
from rooms.shared import SharedState
from server.db import Database
from server.errors import Conflict

log = logging.getLogger(__name__)

SeatsListener = Callable[[str, list[int]], None]  # (room_id, seats now); inline, must not block


def seat_needed(role: Role | str) -> bool:
    """Whether ``role`` needs a granted seat to publish seat media: who runs the floor never does."""
    return not allowed(role, Action.SEAT_GRANT)


def screen_needs_seat(role: Role | str) -> bool:
    """Whether ``role`` needs a granted seat to share a screen: hosts and presenters (who publish venues)
    and those who run the floor never do; everyone else shares only while holding a seat."""
    return seat_needed(role) and not allowed(role, Action.MEDIA_PUBLISH_VENUE)


class FloorService:
    """Hands and seats of every room; other packages ask :meth:`may_publish_seat` before seat media."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        db: Database,
        shared: SharedState,
        presence: PresenceService,
        default_seats: int,
    ) -> None:
        self.sio = sio
        self.db = db
        self.shared = shared
        self.presence = presence
        self.default_seats = default_seats
        self._seats_seen: dict[str, set[int]] = {}  # room -> seats as this process last read them
        self._seat_listeners: list[SeatsListener] = []
        presence.on_gone(self._on_gone)
        presence.cluster.on_beat(self._remember_seats)
        presence.cluster.on_lapsed(self._restore_seats)

    async def _remember_seats(self) -> None:
        """On each heartbeat: the seats of the rooms with members here (for :meth:`_restore_seats`)."""
        self._seats_seen = {room_id: set(await self.shared.seats(room_id)) for room_id in self.presence.local}

    async def _restore_seats(self) -> None:
        """This process's membership had lapsed: the shared state may have lost the seats (Redis restarted
        empty). Give back those this process last saw (at its last beat or floor change), within the
        room's limit; a holder who left meanwhile loses it again when the sweep finds them gone."""
        for room_id, users in list(self._seats_seen.items()):
            if not users:
                continue
            limit = await self.limit(room_id)
            restored = [u for u in sorted(users) if await self.shared.seat_grant(room_id, u, limit)]
            log.warning("restored seats after a lapse room=%s users=%s", room_id, restored)
            await self.broadcast(room_id, restored)

    def on_seats(self, listener: SeatsListener) -> None:
        """Hear the seats of a room each time this process sends its floor (the records time the seats)."""
        self._seat_listeners.append(listener)

    async def limit(self, room_id: str) -> int:
        async with self.db.session() as session:
            return self.limit_of(await session.get(Room, room_id))

    def limit_of(self, room: Room | None) -> int:
        return (room.seats if room is not None and room.seats else None) or self.default_seats

    async def holds_seat(self, room_id: str, user_id: int) -> bool:
        return user_id in await self.shared.seats(room_id)

    async def may_publish_seat(self, room_id: str, user_id: int, role: Role | str) -> bool:
        """The one answer to "may this member publish a seat's camera and microphone now"."""
        if not allowed(role, Action.MEDIA_PUBLISH_SEAT):
            return False
        return not seat_needed(role) or await self.holds_seat(room_id, user_id)

    async def may_share_screen(self, room_id: str, user_id: int, role: Role | str) -> bool:
        """The one answer to "may this member share a screen now": a host, a presenter or a seat holder."""
        if not allowed(role, Action.MEDIA_PUBLISH_SCREEN):
            return False
        return not screen_needs_seat(role) or await self.holds_seat(room_id, user_id)

    async def state(self, room_id: str) -> dict[str, Any]:
        return {
            "room_id": room_id,
            "seats": await self.shared.seats(room_id),
            "hands": await self.shared.hands(room_id),
            "limit": await self.limit(room_id),
        }

    async def broadcast(self, room_id: str, users: Iterable[int]) -> dict[str, Any]:
        """Send the floor to the room; the presence lines of ``users`` (hand, seat) follow in the next delta."""
        state = await self.state(room_id)
        self._seats_seen[room_id] = set(state["seats"])
        for listener in self._seat_listeners:
            try:
                listener(room_id, list(state["seats"]))
            except Exception:
                log.exception("seats listener failed room=%s", room_id)
        await self.sio.emit("floor", state, room=room_channel(room_id))
        self.presence.mark_dirty(room_id, users)
        return state

    async def raise_hand(self, room_id: str, user_id: int) -> dict[str, Any]:
        if not await self.holds_seat(room_id, user_id):
            await self.shared.hand_raise(room_id, user_id)
        return await self.broadcast(room_id, [user_id])

    async def lower_hand(self, room_id: str, user_id: int) -> dict[str, Any]:
        await self.shared.hand_lower(room_id, user_id)
        return await self.broadcast(room_id, [user_id])

    async def grant(self, room_id: str, user_id: int) -> dict[str, Any]:
        limit = await self.limit(room_id)
        if not await self.shared.seat_grant(room_id, user_id, limit):
            raise Conflict(f"all {limit} seats are taken", code="seats_full", details={"limit": limit})
        return await self.broadcast(room_id, [user_id])

    async def revoke(self, room_id: str, user_id: int) -> dict[str, Any]:
        if await self.shared.seat_revoke(room_id, user_id):
            # Without a seat there is no floor: mute them in presence (clients also stop publishing).
            await self.presence.update_user(room_id, user_id, mic=False, camera=False)
        return await self.broadcast(room_id, [user_id])

    async def _on_gone(self, room_id: str, user_ids: set[int]) -> None:
        changed = False
        for uid in user_ids:
            changed |= await self.shared.hand_lower(room_id, uid)
            changed |= await self.shared.seat_revoke(room_id, uid)
        if changed:
            await self.broadcast(room_id, user_ids)
