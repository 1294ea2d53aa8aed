"""Who is online in each room, where, with mic/camera — shared across processes, with a heartbeat.

Entries live in :class:`~rooms.shared.SharedState` keyed by connection. This process refreshes its
node heartbeat every ``ttl / 3`` seconds and sweeps entries of nodes whose heartbeat expired (a
process killed with SIGKILL), so ghosts vanish within about ``ttl * 4 / 3`` seconds. A client whose
network vanishes is dropped by Socket.IO's ping timeout, which runs the normal disconnect path.
``presence`` broadcasts are coalesced per room (at most one per 100 ms, and less often in rooms of more
than 100 people, see :func:`flush_interval`) so a crowd joining at once does not cost n² messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from rooms.notify import room_channel
from rooms.shared import Entry, SharedState

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.1
SMALL_ROOM = 100


def flush_interval(online: int) -> float:
    """Seconds between two full ``presence`` lists of a room: 0.1 s up to 100 people online, then growing
    with the room (n / 100 s, at most 5 s) — each list goes to everyone, so a crowd would cost n² bytes."""
    if online <= SMALL_ROOM:
        return FLUSH_DELAY
    return min(5.0, online / SMALL_ROOM)


GoneListener = Callable[[str, set[int]], Awaitable[None]]  # (room_id, user ids no longer online)


class PresenceService:
    """Owns the heartbeat/sweep task and the coalesced broadcast task of this process."""

    def __init__(self, sio: socketio.AsyncServer, shared: SharedState, node_id: str, ttl: float) -> None:
        self.sio = sio
        self.shared = shared
        self.node_id = node_id
        self.ttl = ttl
        self.local: dict[str, set[str]] = {}  # room_id -> sids of this process
        self._mine: dict[tuple[str, str], Entry] = {}  # (room_id, sid) -> last entry this process wrote
        self._dirty: set[str] = set()
        self._next: dict[str, float] = {}  # room_id -> earliest time of its next presence broadcast
        self._flush: asyncio.Task[None] | None = None
        self._loop: asyncio.Task[None] | None = None
        self._gone: list[GoneListener] = []

    def on_gone(self, listener: GoneListener) -> None:
        self._gone.append(listener)

    async def start(self) -> None:
        await self.shared.heartbeat(self.node_id, self.ttl)
        self._loop = asyncio.get_running_loop().create_task(self._heartbeat_loop(), name="presence-heartbeat")

    async def stop(self) -> None:
        for task in (self._loop, self._flush):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # A clean shutdown removes its own entries at once (a crash relies on the sweep).
        for room_id, sids in list(self.local.items()):
            for sid in list(sids):
                with contextlib.suppress(Exception):
                    await self.shared.presence_remove(room_id, sid)

    # ---- entries ---------------------------------------------------------------------------------
    async def put(self, room_id: str, sid: str, entry: Entry) -> None:
        self.local.setdefault(room_id, set()).add(sid)
        self._mine[(room_id, sid)] = entry
        await self.shared.presence_put(room_id, sid, self.node_id, entry)
        self.mark_dirty(room_id)

    async def get(self, room_id: str, sid: str) -> Entry | None:
        return (await self.shared.presence(room_id)).get(sid)

    async def remove(self, room_id: str, sid: str) -> Entry | None:
        self._mine.pop((room_id, sid), None)
        sids = self.local.get(room_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.local[room_id]
        entry = await self.shared.presence_remove(room_id, sid)
        if entry is not None:
            self.mark_dirty(room_id)
            await self._check_gone(room_id, {int(entry["user_id"])})
        return entry

    async def update_user(self, room_id: str, user_id: int, **changes: Any) -> None:
        """Change every connection of ``user_id`` (e.g. mic off when the seat is revoked)."""
        for sid, entry in (await self.shared.presence(room_id)).items():
            if entry.get("user_id") == user_id:
                node = entry.pop("node")
                await self.shared.presence_put(room_id, sid, node, {**entry, **changes})
        self.mark_dirty(room_id)

    async def online(self, room_id: str) -> list[dict[str, Any]]:
        """One line per user (several tabs merge), sorted by user id, with hand and seat."""
        entries = await self.shared.presence(room_id)
        hands = set(await self.shared.hands(room_id))
        seats = set(await self.shared.seats(room_id))
        users: dict[int, dict[str, Any]] = {}
        for entry in sorted(entries.values(), key=lambda e: e.get("at", 0)):
            uid = int(entry["user_id"])
            prev = users.get(uid)
            users[uid] = {
                "user_id": uid,
                "name": entry.get("name", ""),
                "role": entry.get("role"),
                "venue_id": entry.get("venue_id"),
                "mic": bool(entry.get("mic")) or bool(prev and prev["mic"]),
                "camera": bool(entry.get("camera")) or bool(prev and prev["camera"]),
                "hand": uid in hands,
                "seat": uid in seats,
            }
        return [users[u] for u in sorted(users)]

    async def is_online(self, room_id: str, user_id: int) -> bool:
        return any(e.get("user_id") == user_id for e in (await self.shared.presence(room_id)).values())

    # ---- broadcasting and liveness ---------------------------------------------------------------
    def mark_dirty(self, room_id: str) -> None:
        self._dirty.add(room_id)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._flush_loop(), name="presence-flush")

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(FLUSH_DELAY)
        while self._dirty:
            t = loop.time()
            due = [r for r in self._dirty if self._next.get(r, 0.0) <= t]
            for room_id in due:
                self._dirty.discard(room_id)
                try:
                    online = await self.online(room_id)
                    self._next[room_id] = loop.time() + flush_interval(len(online))
                    await self.sio.emit(
                        "presence", {"room_id": room_id, "online": online}, room=room_channel(room_id)
                    )
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("presence broadcast failed room=%s", room_id)
            if self._dirty:
                wait = min(self._next.get(r, 0.0) for r in self._dirty) - loop.time()
                await asyncio.sleep(max(FLUSH_DELAY, wait))
        if len(self._next) > 10_000:
            t = loop.time()
            self._next = {r: n for r, n in self._next.items() if n > t}

    async def _check_gone(self, room_id: str, user_ids: set[int]) -> None:
        still = {int(e["user_id"]) for e in (await self.shared.presence(room_id)).values()}
        gone = user_ids - still
        if gone:
            for listener in self._gone:
                await listener(room_id, gone)

    async def _revive(self) -> None:
        """Our heartbeat had expired (the loop stalled longer than the TTL), so other processes may have
        swept our live connections as ghosts: put them back, muted (a seat may have gone meanwhile)."""
        log.warning(
            "presence heartbeat had expired node=%s; restoring %d entries", self.node_id, len(self._mine)
        )
        for (room_id, sid), entry in list(self._mine.items()):
            await self.shared.presence_put(
                room_id, sid, self.node_id, {**entry, "mic": False, "camera": False}
            )
            self.mark_dirty(room_id)

    async def _heartbeat_loop(self) -> None:
        interval = max(self.ttl / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.shared.heartbeat(self.node_id, self.ttl) and self._mine:
                    await self._revive()
                removed = await self.shared.sweep()
                for room_id, entries in removed.items():
                    log.info("presence swept room=%s ghosts=%d", room_id, len(entries))
                    self.mark_dirty(room_id)
                    await self._check_gone(room_id, {int(e["user_id"]) for e in entries})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence heartbeat failed node=%s", self.node_id)
