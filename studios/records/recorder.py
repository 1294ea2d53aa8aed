"""Makes presence durable: every connection's stay in a room becomes a row, closed when it leaves.

Presence tells this process about its own connections (``PresenceService.on_entry``) and the floor about
seats (``FloorService.on_seats``); both only queue here, and one worker per process writes the queue in
order, so joining a room never waits on these writes. A process that dies (SIGKILL) cannot close its
stays: every process writes its heartbeat time to ``record_nodes`` on each cluster beat and, on the same
beat, closes the open stays of processes the cluster no longer counts alive at their last heartbeat —
so a crashed stay ends within one beat (``MOKE_CLUSTER_NODE_TTL / 3``) of the crash, and is closed
within ``MOKE_CLUSTER_NODE_TTL`` plus a beat. A single process restarted after a crash does the same at
start. After each change the teacher's line in ``record_attendance`` is recomputed from the stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.api import Venue
from server.cluster import Cluster
from server.db import Database
from server.models import User
from studios.records.models import Attendance, NodeSeen, SeatSpan, Stay
from studios.records.spans import merge, total

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Put:
    room_id: str
    sid: str
    entry: dict[str, Any]
    at: float


@dataclass(frozen=True)
class _Gone:
    room_id: str
    sid: str
    at: float


@dataclass(frozen=True)
class _Seats:
    room_id: str
    seats: frozenset[int]
    at: float


_Event = _Put | _Gone | _Seats


class Recorder:
    """The writer of stays and seat spans of this process."""

    def __init__(self, db: Database, cluster: Cluster, merge_gap: float) -> None:
        self.db = db
        self.cluster = cluster
        self.node_id = cluster.node_id
        self.merge_gap = merge_gap
        self.tasks = cluster.task_group("records")
        self._queue: asyncio.Queue[_Event] = asyncio.Queue()
        self._open: dict[tuple[str, str], tuple[int, int, str, str | None]] = {}  # -> id, user, role, venue
        self._idle = asyncio.Event()
        self._idle.set()

    # ---- what presence and the floor tell us (inline: only queue) -----------------------------------
    def on_entry(self, room_id: str, sid: str, entry: dict[str, Any] | None) -> None:
        event: _Event = (
            _Put(room_id, sid, dict(entry), time.time()) if entry else _Gone(room_id, sid, time.time())
        )
        self._push(event)

    def on_seats(self, room_id: str, seats: list[int]) -> None:
        self._push(_Seats(room_id, frozenset(seats), time.time()))

    def _push(self, event: _Event) -> None:
        self._queue.put_nowait(event)
        self._idle.clear()

    async def drained(self) -> None:
        """Wait until every queued event is written (tests, shutdown)."""
        await self._idle.wait()

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        self.tasks.spawn(self._worker(), name="records-writer")
        self.cluster.on_beat(self.beat)
        self.cluster.on_lapsed(self._reopen)
        await self.beat()

    async def stop(self) -> None:
        """A clean stop closes this process's stays now (the entries go with the process)."""
        try:
            await asyncio.wait_for(self.drained(), 5)
        except TimeoutError:
            log.warning("records: %d events not written at shutdown", self._queue.qsize())
        await self.tasks.close()
        if self._open:
            ids = [v[0] for v in self._open.values()]
            pairs = {(room, v[1]) for (room, _), v in self._open.items()}
            t = time.time()
            async with self.db.transaction() as s:
                await s.execute(
                    update(Stay)
                    .where(Stay.id.in_(ids), Stay.left_at.is_(None))
                    .values(left_at=t, ended_by="shutdown")
                )
                for room_id, user_id in sorted(pairs):
                    await self._refresh(s, room_id, user_id, t)
            self._open.clear()

    async def _worker(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._apply(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("records: could not write %s", event)
            if self._queue.empty():
                self._idle.set()

    # ---- writing -------------------------------------------------------------------------------------
    async def _apply(self, event: _Event) -> None:
        if isinstance(event, _Seats):
            await self._seats(event)
            return
        key = (event.room_id, event.sid)
        if isinstance(event, _Gone):
            known = self._open.pop(key, None)
            if known is None:
                return
            async with self.db.transaction() as s:
                await s.execute(
                    update(Stay).where(Stay.id == known[0], Stay.left_at.is_(None))
                    .values(left_at=event.at, ended_by="leave")
                )  # fmt: skip
                await self._refresh(s, event.room_id, known[1], event.at)
            return
        user_id, role, venue_id = (
            int(event.entry["user_id"]),
            str(event.entry.get("role") or ""),
            event.entry.get("venue_id"),
        )
        known = self._open.get(key)
        if known is not None and (known[2], known[3]) == (role, venue_id):
            return  # mic / camera changes are not records
        async with self.db.transaction() as s:
            school = await self._school(s, user_id, venue_id)
            if known is None:
                stay = Stay(room_id=event.room_id, user_id=user_id, node_id=self.node_id, sid=event.sid, role=role,
                            venue_id=venue_id, school=school, joined_at=event.at)  # fmt: skip
                s.add(stay)
                await s.flush()
                self._open[key] = (stay.id, user_id, role, venue_id)
            else:
                await s.execute(
                    update(Stay)
                    .where(Stay.id == known[0])
                    .values(role=role, venue_id=venue_id, school=school)
                )
                self._open[key] = (known[0], user_id, role, venue_id)
            await self._refresh(s, event.room_id, user_id, event.at)

    async def _school(self, s: AsyncSession, user_id: int, venue_id: str | None) -> str:
        """The school a teacher attends from: the venue's (会场) when they picked one, else their own."""
        if venue_id:
            venue = await s.get(Venue, venue_id)
            if venue is not None and venue.school:
                return venue.school
        user = await s.get(User, user_id)
        return user.school if user is not None else ""

    async def _refresh(self, s: AsyncSession, room_id: str, user_id: int, at: float) -> None:
        """Recompute the teacher's attendance line from their stays in the room."""
        rows = (
            await s.execute(
                select(Stay.joined_at, Stay.left_at, Stay.school, Stay.role)
                .where(Stay.room_id == room_id, Stay.user_id == user_id).order_by(Stay.joined_at)
            )
        ).all()  # fmt: skip
        if not rows:
            return
        still = any(r.left_at is None for r in rows)
        spans = merge(
            [(r.joined_at, r.left_at if r.left_at is not None else at) for r in rows], self.merge_gap
        )
        values = {
            "school": rows[-1].school, "role": rows[-1].role, "first_join": spans[0][0],
            "last_leave": None if still else spans[-1][1], "present_seconds": total(spans),
            "stays": len(spans), "updated_at": at,
        }  # fmt: skip
        line = await s.get(Attendance, (room_id, user_id))
        if line is None:
            try:
                async with s.begin_nested():
                    s.add(Attendance(room_id=room_id, user_id=user_id, **values))
                return
            except IntegrityError:  # another process wrote the line first
                line = await s.get(Attendance, (room_id, user_id), populate_existing=True)
                if line is None:
                    raise
        for k, v in values.items():
            setattr(line, k, v)

    async def _seats(self, event: _Seats) -> None:
        async with self.db.transaction() as s:
            open_now = set(
                (await s.scalars(
                    select(SeatSpan.user_id).where(SeatSpan.room_id == event.room_id, SeatSpan.ended_at.is_(None))
                )).all()
            )  # fmt: skip
            gone = open_now - event.seats
            if gone:
                await s.execute(
                    update(SeatSpan).where(SeatSpan.room_id == event.room_id, SeatSpan.user_id.in_(gone),
                                           SeatSpan.ended_at.is_(None)).values(ended_at=event.at)
                )  # fmt: skip
            for uid in sorted(event.seats - open_now):
                try:
                    async with s.begin_nested():
                        s.add(SeatSpan(room_id=event.room_id, user_id=uid, started_at=event.at))
                except IntegrityError:
                    pass  # another process opened it (it saw the same grant)

    # ---- heartbeat: our liveness, and the stays of dead processes -----------------------------------
    async def beat(self) -> None:
        t = time.time()
        async with self.db.transaction() as s:
            seen = await s.get(NodeSeen, self.node_id)
            if seen is None:
                s.add(NodeSeen(node_id=self.node_id, seen_at=t))
            else:
                seen.seen_at = t
        await self.close_dead(t)

    async def close_dead(self, t: float) -> int:
        """Close the open stays of processes that are gone, at their last heartbeat; returns how many."""
        async with self.db.session() as s:
            nodes = set(
                (await s.scalars(select(Stay.node_id).where(Stay.left_at.is_(None)).distinct())).all()
            )
        nodes.discard(self.node_id)
        dead = nodes - await self.cluster.alive(nodes) if nodes else set()
        closed = 0
        for node in sorted(dead):
            async with self.db.transaction() as s:
                seen = await s.get(NodeSeen, node)
                end = seen.seen_at if seen is not None else t
                pairs = (
                    await s.execute(
                        select(Stay.room_id, Stay.user_id).where(Stay.node_id == node, Stay.left_at.is_(None)).distinct()
                    )
                ).all()  # fmt: skip
                result = await s.execute(
                    update(Stay).where(Stay.node_id == node, Stay.left_at.is_(None))
                    .values(left_at=case((Stay.joined_at > end, Stay.joined_at), else_=end), ended_by="crash")
                )  # fmt: skip
                closed += result.rowcount or 0  # type: ignore[attr-defined]
                for room_id, user_id in sorted(pairs):  # one order everywhere: no deadlock between survivors
                    await self._refresh(s, room_id, user_id, t)
                    await self._end_orphan_seat(s, room_id, user_id)
            log.warning("records: closed stays of dead node=%s at its last beat %.3f", node, end)
        return closed

    async def _end_orphan_seat(self, s: AsyncSession, room_id: str, user_id: int) -> None:
        """A seat whose holder has no open stay left ends when their last stay did (the floor of a
        wholly crashed cluster was never told)."""
        line = await s.get(Attendance, (room_id, user_id))
        if line is None or line.last_leave is None:
            return
        await s.execute(
            update(SeatSpan).where(SeatSpan.room_id == room_id, SeatSpan.user_id == user_id, SeatSpan.ended_at.is_(None))
            .values(ended_at=case((SeatSpan.started_at > line.last_leave, SeatSpan.started_at), else_=line.last_leave))
        )  # fmt: skip

    async def _reopen(self) -> None:
        """Our membership had lapsed, so another process may have closed our stays as a dead node's;
        presence puts our entries back, and so do we: a new stay for each that was closed."""
        for key, (stay_id, user_id, role, venue_id) in list(self._open.items()):
            async with self.db.transaction() as s:
                stay = await s.get(Stay, stay_id)
                if stay is None or stay.left_at is None:
                    continue
                again = Stay(room_id=key[0], user_id=user_id, node_id=self.node_id, sid=key[1], role=role,
                             venue_id=venue_id, school=stay.school, joined_at=time.time())  # fmt: skip
                s.add(again)
                await s.flush()
                self._open[key] = (again.id, user_id, role, venue_id)
                await self._refresh(s, key[0], user_id, again.joined_at)
