"""The main-venue controller: applies cue / take / switch / next / fallback, owns fallback timers,
and makes the room's program feed follow the state.

Commands may arrive at any process. Each one is applied with a compare-and-set on the epoch in the
:class:`~venues.store.ProgramStore`, so all commands of a room, from all processes, apply in one
order and a command based on an old epoch is refused with ``Conflict``. The room's program feed runs
in the room's media home (``media.routing``: a cluster lease the media router holds, renewed while its
process lives, taken by the process where the room's venues publish), so feed and media are always in
one process; a process that decides a cut but is not the home forwards it there over the bus
(``venues:node:<node_id>``). A process that becomes the home (after a restart or a crash of the
previous one) puts the stored program back on air. Housekeeping (dead homes, idle feeds) runs on the
cluster's one heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from media.api import CutResult, MediaRouter, ProgramMedia, is_screen
from server.bus import Bus
from server.cluster import Cluster
from server.errors import Conflict, MokeError
from venues import handoffs
from venues.state import Command, Facts, Kind, OnAir, ProgramState, Transition, transition
from venues.store import ProgramStore

log = logging.getLogger(__name__)

# (room_id) -> (venue ids of the room, venue id of each agenda segment in order)
Directory = Callable[[str], Awaitable[tuple[frozenset[str], tuple[str | None, ...]]]]
# (room_id) -> True when the room is archived or gone: its program feed can be freed
Finished = Callable[[str], Awaitable[bool]]
StateListener = Callable[[ProgramState], Awaitable[None]]
AlertListener = Callable[[str, str, str | None, str], Awaitable[None]]  # room, kind, venue, message

ALERTS = {
    "signal_lost": "主会场信号中断，{delay:g} 秒后将切换到备用会场或中断画面",
    "fallback": "主会场信号中断，已切换到备用会场",
    "slate": "主会场信号中断，正在播放中断画面",
    "signal_back": "会场信号已恢复，请导播决定是否切回",
    "cut_timeout": "切换未完成：新会场没有及时发送关键帧，节目仍为原会场",
}


@dataclass
class _Room:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    fallback_timer: asyncio.Task[None] | None = None


class VenueController:
    """One per process. Lifecycle: ``start()`` / ``stop()``."""

    def __init__(
        self,
        store: ProgramStore,
        bus: Bus,
        db_directory: Directory,
        media: ProgramMedia,
        *,
        cluster: Cluster,
        homes: MediaRouter,
        db: handoffs.Database,
        fallback_delay: float,
        finished: Finished | None = None,
        idle_after: float = 60.0,
    ) -> None:
        self.store = store
        self.bus = bus
        self.cluster = cluster
        self.node = cluster.node_id
        self.homes = homes  # where each room's media, and so its program feed, lives
        self.directory = db_directory
        self.media = media
        self.db = db
        self.fallback_delay = fallback_delay
        self.finished = finished
        self.idle_after = idle_after
        self.state_listeners: list[StateListener] = []
        self.alert_listeners: list[AlertListener] = []
        self._rooms: dict[str, _Room] = {}
        self._live_here: dict[str, set[str]] = {}  # venues publishing to this process
        self.tasks = cluster.task_group("venues")
        self._sub: object | None = None

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._sub = await self.bus.subscribe(f"venues:node:{self.node}", self._on_forwarded_cut)
        self.media.add_venue_listener(self.venue_changed)
        self.homes.on_home_taken(self._recover)
        self.cluster.on_beat(self._housekeeping)
        self.cluster.on_lapsed(self._restore_live)

    async def stop(self) -> None:
        await self.tasks.close()  # cuts, recoveries and fallback timers
        for room_id, venues in self._live_here.items():  # their publishers go with this process
            for venue_id in venues:
                with contextlib.suppress(Exception):
                    await self.store.set_live(room_id, venue_id, False)
        self._live_here.clear()

    # ---- commands -----------------------------------------------------------------------------
    async def state(self, room_id: str) -> ProgramState:
        return await self.store.load(room_id)

    async def command(self, room_id: str, cmd: Command) -> ProgramState:
        """Apply ``cmd``; raise ``Conflict`` when it was based on an old epoch (or cannot apply)."""
        room = self._room(room_id)
        async with room.lock:
            before = await self.store.load(room_id)
            t = transition(before, cmd, await self._facts(room_id), self.cluster.clock.now())
            if not await self.store.save(t.after, expected_epoch=before.epoch):
                current = await self.store.load(room_id)
                raise Conflict(
                    "another moderator switched first; the program changed since you loaded it",
                    code="conflict",
                    details={"epoch": current.epoch, "program": current.program},
                )
            self._log(t)
        await self._announce(t)
        return t.after

    def _log(self, t: Transition) -> None:
        log.info(
            "venue %s room=%s by=%s epoch=%d->%d program=%s->%s preview=%s on_air=%s cut=%s",
            t.command.kind.value, t.after.room_id, t.command.actor, t.before.epoch, t.after.epoch,
            t.before.program, t.after.program, t.after.preview, t.after.on_air.value, t.cut,
        )  # fmt: skip

    async def live(self, room_id: str) -> frozenset[str]:
        """The room's venues and screen shares (``screen:<user_id>``) that are live (publishing video)
        in any process, as commands see them."""
        venues, _ = await self.directory(room_id)
        return await self._live(room_id, venues)

    async def _live(self, room_id: str, venues: frozenset[str]) -> frozenset[str]:
        live = set(await self.store.live(room_id, self.cluster.alive))
        live.update(v for v in venues if self.media.venue_is_live(room_id, v))
        # a screen share is a program target only while it is shared: it has no row of its own
        return frozenset(v for v in live if v in venues or is_screen(v))

    async def _facts(self, room_id: str) -> Facts:
        venues, agenda = await self.directory(room_id)
        live = await self._live(room_id, venues)
        venues = venues | {v for v in live if is_screen(v)}
        unfit = {v: r for v in live if (r := self.media.unfit_reason(room_id, v)) is not None}
        return Facts(venues=venues, live=frozenset(live), agenda=agenda, unfit=unfit)

    async def _announce(self, t: Transition) -> None:
        room_id, epoch = t.after.room_id, t.after.epoch
        if t.cut:  # the wire first: the keyframe request leaves before anything else is written or sent
            await self._dispatch_cut(room_id, t.source, epoch, audit=t)
        for listener in list(self.state_listeners):
            try:
                await listener(t.after)
            except Exception:
                log.exception("venue state listener failed room=%s", room_id)
        if t.after.preview != t.before.preview:
            await self._dispatch_cut(room_id, t.after.preview, epoch, target="preview")

    async def _alert(self, room_id: str, kind: str, venue_id: str | None) -> None:
        message = ALERTS[kind].format(delay=self.fallback_delay)
        log.warning("venue alert room=%s kind=%s venue=%s", room_id, kind, venue_id)
        for listener in list(self.alert_listeners):
            try:
                await listener(room_id, kind, venue_id, message)
            except Exception:
                log.exception("venue alert listener failed room=%s", room_id)

    # ---- the program feed: owner, cuts, recovery ----------------------------------------------
    async def _dispatch_cut(
        self,
        room_id: str,
        venue: str | None,
        epoch: int,
        *,
        target: str = "program",
        audit: Transition | None = None,
    ) -> None:
        owner = await self.homes.home(room_id)
        if owner == self.node:
            self._spawn(self._cut(room_id, venue, epoch, target, audit=audit))
            return
        handoff_id = await handoffs.record(self.db, audit) if audit is not None else None
        msg = {"room_id": room_id, "venue_id": venue, "epoch": epoch, "handoff_id": handoff_id}
        await self.bus.publish(f"venues:node:{owner}", json.dumps({**msg, "target": target}).encode())

    async def _on_forwarded_cut(self, _channel: str, data: bytes) -> None:
        msg = json.loads(data)
        target = msg.get("target", "program")
        await self._cut(
            msg["room_id"], msg["venue_id"], int(msg["epoch"]), target, handoff_id=msg.get("handoff_id")
        )

    async def _cut(
        self,
        room_id: str,
        venue: str | None,
        epoch: int,
        target: str = "program",
        *,
        handoff_id: int | None = None,
        audit: Transition | None = None,
    ) -> None:
        """Run one cut here (this process owns the feed); audit it while the keyframe is on its way."""
        if target == "preview":
            await self.media.preview(room_id, venue, epoch=epoch)
            return
        cut = asyncio.ensure_future(self.media.cut(room_id, venue, epoch=epoch))
        try:
            if audit is not None:
                try:
                    handoff_id = await handoffs.record(self.db, audit)
                except Exception:  # the audit must never hold the program back
                    log.exception("hand-off audit failed room=%s epoch=%d", room_id, epoch)
            result = await cut
        except MokeError as exc:
            log.warning("program cut failed room=%s venue=%s: %s", room_id, venue, exc.message)
            result = CutResult(switched=False, seconds=0.0)
        except asyncio.CancelledError:
            cut.cancel()
            raise
        log.info(
            "program cut room=%s venue=%s epoch=%d switched=%s in %.0f ms",
            room_id, venue, epoch, result.switched, result.seconds * 1000,
        )  # fmt: skip
        if handoff_id is None:
            return  # a recovery or a publisher that came back: nobody is waiting for it
        await handoffs.finish(self.db, handoff_id, result, self.cluster.clock.now())
        if not result.switched and (await self.store.load(room_id)).epoch == epoch:
            await self._alert(room_id, "cut_timeout", venue)

    async def _recover(self, room_id: str) -> None:
        """This process just became the room's home: put the stored program back on air."""
        state = await self.store.load(room_id)
        if state.on_air is OnAir.IDLE:
            return
        log.info("program recovered room=%s epoch=%d program=%s", room_id, state.epoch, state.program)
        await self._cut(room_id, state.program, state.epoch)
        if state.preview is not None:
            await self._cut(room_id, state.preview, state.epoch, "preview")

    async def _housekeeping(self) -> None:
        """On each beat of the cluster's heartbeat."""
        for step in (self._notice_dead_owners, self._free_finished_feeds):
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("venue controller housekeeping failed: %s", step.__name__)

    async def _notice_dead_owners(self) -> None:
        """A room whose feed owner died (its lease lapsed) with the program venue, which published
        there: take the feed over and handle the venue as lost (alert, then fallback or slate)."""
        if not self.store.shared:
            return  # one process owns every feed and its venue listener sees every loss
        if not self.cluster.settled():
            return  # Redis may have lost the leases and live venues (a restart): their owners put them back
        for room_id in list(self._rooms):
            room = self._rooms[room_id]
            if room.fallback_timer is not None or await self.homes.holder(room_id) is not None:
                continue
            state = await self.store.load(room_id)
            venue_id = state.program
            if state.on_air not in (OnAir.VENUE, OnAir.FALLBACK) or venue_id is None:
                if not room.lock.locked() and room_id not in self.media.rooms():
                    del self._rooms[room_id]  # nothing on air that could be lost: stop watching
                continue
            if venue_id in await self.store.live(room_id, self.cluster.alive):
                continue
            log.warning("program venue lapsed with its process room=%s venue=%s", room_id, venue_id)
            if await self.homes.claim(room_id):
                await self._lost(room_id, venue_id)

    async def _free_finished_feeds(self) -> None:
        """Free the program feed of rooms archived, gone, or without viewers and venues for a while."""
        for room_id in sorted(self.media.rooms()):
            idle = self.media.idle_seconds(room_id) >= self.idle_after
            if not idle and not (self.finished is not None and await self.finished(room_id)):
                continue
            log.info("freeing the program feed room=%s (%s)", room_id, "idle" if idle else "finished")
            await self.media.release(room_id)
            if self.homes.is_home(room_id):
                await self.homes.release_home(room_id)  # the next home (maybe us again) recovers the program
            room = self._rooms.get(room_id)
            if room is not None and room.fallback_timer is None and not room.lock.locked():
                del self._rooms[room_id]

    async def _restore_live(self) -> None:
        """This process's membership had lapsed (Redis restarted empty, or a stall longer than the TTL):
        the store may have lost the venues publishing here, so put them back."""
        for room_id, venues in list(self._live_here.items()):
            for venue_id in sorted(venues):
                await self.store.set_live(room_id, venue_id, True, node=self.node)
        if self._live_here:
            log.warning("cluster membership had lapsed: live venues restored rooms=%d", len(self._live_here))

    # ---- signal loss --------------------------------------------------------------------------
    async def venue_changed(self, room_id: str, venue_id: str, live: bool) -> None:
        """The media plane saw a venue's publisher start or stop (in this process)."""
        here = self._live_here.setdefault(room_id, set())
        if live:
            here.add(venue_id)
        else:
            here.discard(venue_id)
            if not here:
                del self._live_here[room_id]
        await self.store.set_live(room_id, venue_id, live, node=self.node)
        room = self._room(room_id)
        if live:
            await self.homes.claim(room_id)
        state = await self.store.load(room_id)
        if live:
            if room.fallback_timer is not None and state.program == venue_id:
                room.fallback_timer.cancel()
                room.fallback_timer = None
            if state.on_air in (OnAir.FALLBACK, OnAir.SLATE):
                await self._alert(room_id, "signal_back", venue_id)
            elif state.program == venue_id and self.homes.is_home(room_id):
                self._spawn(self._cut(room_id, venue_id, state.epoch))  # publisher came back
            return
        await self._lost(room_id, venue_id)

    async def _lost(self, room_id: str, venue_id: str) -> None:
        """The venue's signal is gone: if it is the program, alert and start the fallback timer."""
        room = self._room(room_id)
        state = await self.store.load(room_id)
        if state.program == venue_id and room.fallback_timer is None:
            await self._alert(room_id, "signal_lost", venue_id)
            room.fallback_timer = self.tasks.spawn(
                self._fall_back(room_id, venue_id), name=f"fallback:{room_id}"
            )

    async def _fall_back(self, room_id: str, venue_id: str) -> None:
        try:
            await asyncio.sleep(self.fallback_delay)
            for _ in range(3):  # a moderator's command may win the race; then look again
                state = await self.store.load(room_id)
                try:
                    after = await self.command(room_id, Command(Kind.LOST, state.epoch, venue_id))
                except Conflict as exc:
                    if exc.code == "conflict":
                        continue
                    return  # back on air, or no longer the program venue
                await self._alert(room_id, "slate" if after.slate else "fallback", venue_id)
                return
        finally:
            self._room(room_id).fallback_timer = None

    # ---- helpers ------------------------------------------------------------------------------
    def _room(self, room_id: str) -> _Room:
        return self._rooms.setdefault(room_id, _Room())

    def _spawn(self, coro: Awaitable[None]) -> None:
        self.tasks.spawn(coro, name="venues-cut")
