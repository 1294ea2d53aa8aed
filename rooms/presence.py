"""Who is online in each room, where, with mic/camera — shared across processes.

Entries live in :class:`~rooms.shared.SharedState` keyed by connection and tagged with their process
(a node of ``server.cluster``). On each beat of the cluster's one heartbeat this process sweeps the
entries of nodes that are no longer alive (a process killed with SIGKILL), so ghosts vanish within
about ``MOKE_CLUSTER_NODE_TTL * 4 / 3`` seconds. A client whose
network vanishes is dropped by Engine.IO's ping timeout, which runs the normal disconnect path.

Each line carries the user's school: in a showcase with hundreds online the live page shows counts per
school (三小 32 人) with a search, and it derives them from the lines it already holds rather than being
served counts. A join or a leave then stays one line in one batched delta (counts served would add a table
of every school to each delta, or a second kind of message that must agree with the lines), the counts
cannot disagree with the list, and opening a school to see who is there needs no round trip.

Clients get the full list once (``online`` and ``presence_rev`` in the ``room:join`` state) and then
``presence:delta {room_id, rev, changed, left}``: the lines of the users whose presence, hand or seat
changed in the last short window (0.1 s, 0.25 s in rooms of more than 100 people), one message per room
and window — so a crowd of n joining costs about n × windows messages, not n² lines. ``rev`` numbers the
reading the delta was made from (:meth:`~rooms.shared.SharedState.snapshot`); a client applies a line only
when its ``rev`` is newer than what it holds for that user, so deltas from several processes that cross
on the way cannot put an old line back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import socketio

from rooms.notify import room_channel
from rooms.shared import Entry, SharedState, Snapshot
from server.cluster import Cluster

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.1
BIG_ROOM_DELAY = 0.25
SMALL_ROOM = 100

Line = dict[str, Any]


def flush_interval(online: int) -> float:
    """Seconds between two deltas of one room: a crowd gets slightly bigger batches, still well within 1 s."""
    return FLUSH_DELAY if online <= SMALL_ROOM else BIG_ROOM_DELAY


def user_lines(snap: Snapshot, users: set[int] | None = None) -> dict[int, Line]:
    """One line per user (several tabs merge: the newest connection names the venue, mic/camera if any
    connection has them), with hand and seat; only ``users`` when given."""
    hands, seats = set(snap.hands), set(snap.seats)
    lines: dict[int, Line] = {}
    for entry in sorted(snap.entries.values(), key=lambda e: e.get("at", 0)):
        uid = int(entry["user_id"])
        if users is not None and uid not in users:
            continue
        prev = lines.get(uid)
        lines[uid] = {
            "user_id": uid,
            "name": entry.get("name", ""),
            "school": entry.get("school", ""),
            "role": entry.get("role"),
            "venue_id": entry.get("venue_id"),
            "mic": bool(entry.get("mic")) or bool(prev and prev["mic"]),
            "camera": bool(entry.get("camera")) or bool(prev and prev["camera"]),
            "hand": uid in hands,
            "seat": uid in seats,
        }
    return lines


GoneListener = Callable[[str, set[int]], Awaitable[None]]  # (room_id, user ids no longer online)
# (room_id, sid, entry) after each put of this process's connection; entry None when it was removed here.
# Called inline, so it must not block (the records queue what they hear).
EntryListener = Callable[[str, str, Entry | None], None]


class PresenceService:
    """Sweeps ghosts on the cluster's heartbeat and owns the delta broadcast task of this process."""

    def __init__(self, sio: socketio.AsyncServer, shared: SharedState, cluster: Cluster) -> None:
        self.sio = sio
        self.shared = shared
        self.cluster = cluster
        self.node_id = cluster.node_id
        self.tasks = cluster.task_group("presence")
        self.local: dict[str, set[str]] = {}  # room_id -> sids of this process
        self._mine: dict[tuple[str, str], Entry] = {}  # (room_id, sid) -> last entry this process wrote
        self._dirty: dict[str, set[int]] = {}  # room_id -> users whose line may have changed
        self._next: dict[str, float] = {}  # room_id -> earliest time of its next delta
        self._flush: asyncio.Task[None] | None = None
        self._gone: list[GoneListener] = []
        self._entry: list[EntryListener] = []

    def on_gone(self, listener: GoneListener) -> None:
        self._gone.append(listener)

    def on_entry(self, listener: EntryListener) -> None:
        """Hear every put and removal of this process's own connections (durable stays are made of them;
        entries of a crashed process are not removed here: its stays end at its last heartbeat)."""
        self._entry.append(listener)

    def _tell(self, room_id: str, sid: str, entry: Entry | None) -> None:
        for listener in self._entry:
            try:
                listener(room_id, sid, entry)
            except Exception:
                log.exception("presence entry listener failed room=%s sid=%s", room_id, sid)

    async def start(self) -> None:
        self.cluster.on_beat(self._sweep)
        self.cluster.on_lapsed(self._revive)

    async def stop(self) -> None:
        await self.tasks.close()
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
        self.mark_dirty(room_id, [int(entry["user_id"])])
        self._tell(room_id, sid, entry)

    async def get(self, room_id: str, sid: str) -> Entry | None:
        return (await self.shared.presence(room_id)).get(sid)

    async def remove(self, room_id: str, sid: str) -> Entry | None:
        if self._mine.pop((room_id, sid), None) is not None:
            self._tell(room_id, sid, None)
        sids = self.local.get(room_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.local[room_id]
        entry = await self.shared.presence_remove(room_id, sid)
        if entry is not None:
            self.mark_dirty(room_id, [int(entry["user_id"])])
            await self._check_gone(room_id, {int(entry["user_id"])})
        return entry

    async def update_user(self, room_id: str, user_id: int, **changes: Any) -> None:
        """Change every connection of ``user_id`` (e.g. mic off when the seat is revoked)."""
        for sid, entry in (await self.shared.presence(room_id)).items():
            if entry.get("user_id") == user_id:
                node = entry.pop("node")
                await self.shared.presence_put(room_id, sid, node, {**entry, **changes})
        self.mark_dirty(room_id, [user_id])

    async def online(self, room_id: str) -> tuple[Snapshot, list[Line]]:
        """The full list (one line per user, sorted by user id) and the reading it came from."""
        snap = await self.shared.snapshot(room_id)
        lines = user_lines(snap)
        return snap, [lines[u] for u in sorted(lines)]

    async def is_online(self, room_id: str, user_id: int) -> bool:
        return any(e.get("user_id") == user_id for e in (await self.shared.presence(room_id)).values())

    # ---- broadcasting and liveness ---------------------------------------------------------------
    def mark_dirty(self, room_id: str, user_ids: Iterable[int]) -> None:
        """The lines of ``user_ids`` may have changed: they go out in the room's next delta."""
        self._dirty.setdefault(room_id, set()).update(user_ids)
        if self.tasks.closed:
            return  # stopping: nobody is left here to tell
        if self._flush is None or self._flush.done():
            self._flush = self.tasks.spawn(self._flush_loop(), name="presence-flush")

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(FLUSH_DELAY)
        while self._dirty:
            t = loop.time()
            for room_id in [r for r in self._dirty if self._next.get(r, 0.0) <= t]:
                users = self._dirty.pop(room_id)
                try:
                    online = await self._send_delta(room_id, users)
                    self._next[room_id] = loop.time() + flush_interval(online)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("presence delta failed room=%s", room_id)
            if self._dirty:
                wait = min(self._next.get(r, 0.0) for r in self._dirty) - loop.time()
                await asyncio.sleep(max(FLUSH_DELAY, wait))
        if len(self._next) > 10_000:
            t = loop.time()
            self._next = {r: n for r, n in self._next.items() if n > t}

    async def _send_delta(self, room_id: str, users: set[int]) -> int:
        """Emit the current lines of ``users`` (or that they left); returns how many connections are online."""
        snap = await self.shared.snapshot(room_id)
        lines = user_lines(snap, users)
        delta = {
            "room_id": room_id,
            "rev": snap.rev,
            "changed": [lines[u] for u in sorted(lines)],
            "left": sorted(users - lines.keys()),
        }
        await self.sio.emit("presence:delta", delta, room=room_channel(room_id))
        return len(snap.entries)

    async def _check_gone(self, room_id: str, user_ids: set[int]) -> None:
        still = {int(e["user_id"]) for e in (await self.shared.presence(room_id)).values()}
        gone = user_ids - still
        if gone:
            for listener in self._gone:
                await listener(room_id, gone)

    async def resync(self) -> None:
        """Broadcasts from other processes may have been lost (this process's Socket.IO manager lost
        Redis for a while): send every line of the rooms with members here again."""
        for room_id in list(self.local):
            snap = await self.shared.snapshot(room_id)
            self.mark_dirty(room_id, {int(e["user_id"]) for e in snap.entries.values()})

    async def _revive(self) -> None:
        """Our heartbeat had expired (the loop stalled longer than the TTL), so other processes may have
        swept our live connections as ghosts: put them back, muted (a seat may have gone meanwhile)."""
        if not self._mine:
            return
        log.warning(
            "presence heartbeat had expired node=%s; restoring %d entries", self.node_id, len(self._mine)
        )
        for (room_id, sid), entry in list(self._mine.items()):
            await self.shared.presence_put(
                room_id, sid, self.node_id, {**entry, "mic": False, "camera": False}
            )
            self.mark_dirty(room_id, [int(entry["user_id"])])

    async def _sweep(self) -> None:
        removed = await self.shared.sweep(self.cluster.alive)
        for room_id, entries in removed.items():
            log.info("presence swept room=%s ghosts=%d", room_id, len(entries))
            users = {int(e["user_id"]) for e in entries}
            self.mark_dirty(room_id, users)
            await self._check_gone(room_id, users)
