"""The program feed: one named source per room (``"program"``) that follows the main venue, and
``"preview"`` that follows the cued venue — forwarded encoded frames, never re-encoded.

What the program carries is a *target*: a venue id, or a screen share (``screen:<user_id>``, see
:func:`media.api.target_source`); a shared screen is cut to at its keyframe like a venue.

Observers ``media:watch`` ``"program"`` once; a hand-off changes what the source carries, never the
observer's peer connection. A cut (:meth:`Switcher.cut`):

1. taps the new venue's video and audio and asks it for a keyframe at once (throttled by its source);
2. keeps forwarding the old venue (or the slate) meanwhile; the new venue's frames are dropped;
3. at the new venue's first keyframe switches video and audio together, in the same event-loop step;
4. rewrites ``pts`` per output track (:mod:`media.continuity`), so each observer's sender (which
   derives RTP timestamps from ``pts`` and keeps its own sequence numbers) sends one unbroken stream
   that advances by one frame interval across the cut.

**Codecs.** The program's video codec is fixed per deployment (``media_program_codec``, VP8 by
default): observers negotiate it when they join and it never changes. A venue publishing another
codec cannot be taken (the controller refuses with ``codec_mismatch``); its own feed stays watchable.

**Slate.** With ``venue_id=None`` the program carries the slate: one keyframe encoded when the process's
first program feed is made (:mod:`media.slate`) and repeated five times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction

from media.api import SCREEN_PREFIX, CutResult, VenueLiveListener, is_screen, target_source
from media.continuity import TimestampRewriter
from media.registry import MediaSource, SourceRegistry
from media.slate import AUDIO_FRAME, AUDIO_RATE, Slate
from media.source import EncodedFrame, EncodedSource, FrameReader, make_packet
from server.cluster import TaskGroup

log = logging.getLogger(__name__)
MIN_KEYFRAME_RETRY = 0.05  # seconds; the retry follows the venue's throttle interval, never faster

VIDEO_INTERVAL = 3000  # 90 kHz at 30 fps
AUDIO_INTERVAL = 960  # 20 ms of Opus at 48 kHz
SLATE_TIME_BASE_HZ = 90000
AUDIO_TICKS_PER_SECOND = 50  # the slate's audio: one 20 ms packet per tick
SLATE_MAX_LAG = 0.2  # seconds


class _Tap(FrameReader):
    """A reader that hands each frame to the switcher synchronously (no queue, no task)."""

    def __init__(self, source: EncodedSource, on_frame: Callable[[_Tap, EncodedFrame], None]) -> None:
        super().__init__(source, maxsize=1)
        self.waiting_keyframe = False
        self._on_frame = on_frame
        source.subscribers.add(self)

    def offer(self, frame: EncodedFrame) -> None:
        if not self.closed:
            self._on_frame(self, frame)


class _FirstFrame(FrameReader):
    """Calls ``then`` once, at the source's next frame, then unsubscribes."""

    def __init__(self, source: EncodedSource, then: Callable[[], None]) -> None:
        super().__init__(source, maxsize=1)
        self._then = then
        source.subscribers.add(self)

    def offer(self, frame: EncodedFrame) -> None:
        if not self.closed:
            self.close()
            self._then()


class _Leg:
    """The taps on one venue's video and audio."""

    def __init__(self, venue_id: str, source: MediaSource, on_frame: Callable[[_Tap, EncodedFrame], None]):
        self.venue_id = venue_id
        self.video = _Tap(source.video, on_frame)
        self.audio = _Tap(source.audio, on_frame)
        # monotonic time of the switch; None when superseded or dropped before its keyframe
        self.switched: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()

    @property
    def open(self) -> bool:
        return not (self.video.closed or self.video.source.closed)

    def close(self) -> None:
        self.video.close()
        self.audio.close()
        if not self.switched.done():
            self.switched.set_result(None)


class Switcher:
    """Makes one output source (``program`` or ``preview``) carry one venue at a time."""

    def __init__(
        self, registry: SourceRegistry, room_id: str, name: str, codec: str, slate: Slate, cut_timeout: float
    ) -> None:
        self.registry = registry
        self.room_id = room_id
        self.codec = codec
        self.slate = slate
        self.cut_timeout = cut_timeout
        self.output = registry.ensure(room_id, name)
        self.output.video.attach(codec, self._keyframe_request)
        self.output.audio.attach("audio/opus", None)
        self.video_ts = TimestampRewriter(interval=VIDEO_INTERVAL, max_jump=5 * 90000)
        self.audio_ts = TimestampRewriter(interval=AUDIO_INTERVAL, max_jump=5 * 48000)
        self.active: _Leg | None = None
        self.pending: _Leg | None = None
        self.epoch = -1
        self.venue_id: str | None = None  # what was last asked for (None: slate)
        self._slate_task: asyncio.Task[None] | None = None

    # ---- control ------------------------------------------------------------------------------
    async def cut(self, venue_id: str | None, epoch: int) -> CutResult:
        started = time.monotonic()
        if epoch < self.epoch:  # a late, superseded cut (forwarded over the bus, say)
            return CutResult(switched=False, seconds=0.0)
        self.epoch = epoch
        self.venue_id = venue_id
        self._drop_pending()
        source = self.registry.get(self.room_id, target_source(venue_id)) if venue_id else None
        if source is None or not source.video.live or source.video.codec != self.codec:
            if venue_id is not None:
                log.warning("program cut to a dark venue room=%s venue=%s: slate", self.room_id, venue_id)
            self._to_slate()
            return CutResult(switched=venue_id is None, seconds=time.monotonic() - started)
        active = self.active
        if active is not None and active.venue_id == venue_id and active.video.source is source.video:
            if active.open:
                return CutResult(switched=True, seconds=0.0)
        leg = self.pending = _Leg(venue_id, source, self._on_frame)  # type: ignore[arg-type]
        source.video.request_keyframe()
        # ask again once per throttle interval: a re-ask never waits longer than the throttle would
        retry = max(MIN_KEYFRAME_RETRY, source.video.keyframe_interval)
        deadline = started + self.cut_timeout
        at: float | None = None
        while True:
            try:
                wait = max(0.0, min(retry, deadline - time.monotonic()))
                at = await asyncio.wait_for(asyncio.shield(leg.switched), wait)
                break
            except TimeoutError:
                if time.monotonic() >= deadline or self.pending is not leg:
                    if self.pending is leg and self._on_air():  # no keyframe in time: keep the old source
                        self._drop_pending()
                    # with nothing on air yet, the leg stays: the venue's first keyframe puts it on air
                    break
                # A PLI can be lost: ask again. (One ignored by a throttling encoder is asked again
                # by the source itself, when the encoder's window closes: see media.source.)
                source.video.request_keyframe()
        if at is None:
            return CutResult(switched=False, seconds=time.monotonic() - started)
        return CutResult(switched=True, seconds=at - started)

    def _on_air(self) -> bool:
        """True when the output carries something (a venue or the slate)."""
        return self.active is not None or self._slate_task is not None

    def close(self) -> None:
        self._drop_pending()
        if self.active is not None:
            self.active.close()
            self.active = None
        self._stop_slate()
        self.registry.remove(self.room_id, self.output.name)

    # ---- the packet path (synchronous, inside the venue source's push) -------------------------
    def _on_frame(self, tap: _Tap, frame: EncodedFrame) -> None:
        pending = self.pending
        if pending is not None and tap is pending.video and frame.keyframe:
            self._promote(pending)
        active = self.active
        if active is None:
            return
        if tap is active.video:
            self._forward(self.output.video, self.video_ts, frame)
        elif tap is active.audio:
            self._forward(self.output.audio, self.audio_ts, frame)

    def _promote(self, leg: _Leg) -> None:
        """The new venue's keyframe is here: video and audio switch together, now."""
        if self.active is not None:
            self.active.close()
        self._stop_slate()
        self.pending, self.active = None, leg
        self.video_ts.cut()
        self.audio_ts.cut()
        if not leg.switched.done():
            leg.switched.set_result(time.monotonic())
        log.info("program on air room=%s venue=%s epoch=%d", self.room_id, leg.venue_id, self.epoch)

    def _forward(self, out: EncodedSource, rewriter: TimestampRewriter, frame: EncodedFrame) -> None:
        src = frame.packet
        assert src.pts is not None and src.time_base is not None
        # A new packet: the venue's own viewers share ``src``; its pts must not change under them.
        packet = make_packet(bytes(src), rewriter.rewrite(src.pts), src.time_base)
        out.push(packet, frame.keyframe, frame.tid, frame.sync)

    def _keyframe_request(self) -> asyncio.Future[None]:
        """An observer's PLI (or a new observer): ask whoever is on air."""
        if self.active is not None:
            self.active.video.source.request_keyframe()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def _drop_pending(self) -> None:
        if self.pending is not None:
            self.pending.close()
            self.pending = None

    # ---- slate --------------------------------------------------------------------------------
    def _to_slate(self) -> None:
        if self.active is not None:
            self.active.close()
            self.active = None
        if self._slate_task is None:
            self.video_ts.cut()
            self.audio_ts.cut()
            self._slate_task = asyncio.get_running_loop().create_task(
                self._run_slate(), name=f"slate:{self.room_id}/{self.output.name}"
            )

    def _stop_slate(self) -> None:
        if self._slate_task is not None:
            self._slate_task.cancel()
            self._slate_task = None

    async def _run_slate(self) -> None:
        """The slate's keyframe at ``slate.fps`` and its silent Opus packet every 20 ms, on a fixed
        schedule (a loop that falls behind skips ahead rather than bursting)."""
        video_every = max(1, round(AUDIO_TICKS_PER_SECOND / self.slate.fps))
        video_tb, audio_tb = Fraction(1, SLATE_TIME_BASE_HZ), Fraction(1, AUDIO_RATE)
        loop = asyncio.get_running_loop()
        tick, due = 0, loop.time()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                if tick % video_every == 0:
                    ts = tick * SLATE_TIME_BASE_HZ // AUDIO_TICKS_PER_SECOND
                    self.output.video.push(
                        make_packet(self.slate.data, self.video_ts.rewrite(ts), video_tb), True
                    )
                if self.slate.audio:
                    ts = tick * AUDIO_FRAME
                    self.output.audio.push(
                        make_packet(self.slate.audio, self.audio_ts.rewrite(ts), audio_tb), False
                    )
                tick += 1
                due += 1 / AUDIO_TICKS_PER_SECOND
                if loop.time() - due > SLATE_MAX_LAG:  # stalled: go on from now, never burst
                    due = loop.time()
                await asyncio.sleep(max(0.0, due - loop.time()))


class ProgramPlane:
    """``ProgramMedia`` for the controller: one program and one preview switcher per room."""

    def __init__(
        self,
        registry: SourceRegistry,
        *,
        codec: str,
        slate: Callable[[], Slate],
        cut_timeout: float,
        tasks: TaskGroup | None = None,
    ) -> None:
        self.registry = registry
        self.codec = codec
        self._encode_slate = slate  # called by the first switcher: PyAV is not loaded before one is needed
        self._slate: Slate | None = None
        self.cut_timeout = cut_timeout
        self.programs: dict[str, Switcher] = {}
        self.previews: dict[str, Switcher] = {}
        self.tasks = tasks if tasks is not None else TaskGroup("media/program")
        self._busy_at: dict[str, float] = {}  # room -> last time it had a viewer or a live venue
        registry.add_listener(self._source_changed)

    async def _source_changed(self, room_id: str, name: str, live: bool) -> None:
        """A room whose venues publish gets its ``program`` and ``preview`` sources (watchable at once)."""
        if live and name.startswith(("venue:", SCREEN_PREFIX)) and room_id not in self.programs:
            self.switcher(room_id)
            self.switcher(room_id, "preview")
            await self.registry.notify(room_id, "program", True)  # media:sources lists it from now on

    def switcher(self, room_id: str, name: str = "program") -> Switcher:
        table = self.programs if name == "program" else self.previews
        found = table.get(room_id)
        if found is None:
            if self._slate is None:
                self._slate = self._encode_slate()
            found = table[room_id] = Switcher(
                self.registry, room_id, name, self.codec, self._slate, self.cut_timeout
            )
            self._busy_at[room_id] = time.monotonic()
        return found

    def rooms(self) -> set[str]:
        """Rooms that have a program or preview switcher in this process."""
        return set(self.programs) | set(self.previews)

    def idle_seconds(self, room_id: str) -> float:
        """How long the room's program and preview have had no subscriber (viewer, recording) and its
        venues no publisher here; 0 while it has one."""
        now = time.monotonic()
        outputs = [s.output for s in (self.programs.get(room_id), self.previews.get(room_id)) if s]
        busy = any(track.subscribers for o in outputs for track in o.tracks()) or any(
            s.live for s in self.registry.in_room(room_id) if s.name.startswith(("venue:", SCREEN_PREFIX))
        )
        if busy or room_id not in self._busy_at:
            self._busy_at[room_id] = now
        return now - self._busy_at[room_id]

    async def release(self, room_id: str) -> None:
        """Free the room's switchers: their taps, slate task and output sources (viewers still on
        them see the feed end). A later venue or cut creates fresh ones."""
        for table in (self.programs, self.previews):
            found = table.pop(room_id, None)
            if found is not None:
                found.close()
        self._busy_at.pop(room_id, None)
        log.info("program feed freed room=%s", room_id)
        await self.registry.notify(room_id, "program", False)  # media:sources drops it

    def venue_is_live(self, room_id: str, venue_id: str) -> bool:
        source = self.registry.get(room_id, target_source(venue_id))
        return source is not None and source.video.live

    def unfit_reason(self, room_id: str, venue_id: str) -> str | None:
        source = self.registry.get(room_id, target_source(venue_id))
        codec = source.video.codec if source is not None and source.video.live else None
        if codec is not None and codec.lower() != self.codec.lower():
            what = "screen share" if is_screen(venue_id) else "venue"
            return f"{what} {venue_id} publishes {codec}; the program is fixed to {self.codec}"
        return None

    async def cut(self, room_id: str, venue_id: str | None, *, epoch: int) -> CutResult:
        return await self.switcher(room_id).cut(venue_id, epoch)

    async def preview(self, room_id: str, venue_id: str | None, *, epoch: int) -> CutResult:
        """Make the room's ``preview`` source carry the cued venue."""
        return await self.switcher(room_id, "preview").cut(venue_id, epoch)

    def add_venue_listener(self, listener: VenueLiveListener) -> None:
        """Tell ``listener`` when a venue or a screen share goes live (its first *video* frame: only then
        can it be taken) and when it drops; a screen share is named by its target, ``screen:<user_id>``."""
        waiting: dict[tuple[str, str], _FirstFrame] = {}

        async def on_source(room_id: str, name: str, live: bool) -> None:
            if not name.startswith(("venue:", SCREEN_PREFIX)):
                return
            venue_id = name if is_screen(name) else name.partition(":")[2]
            found = waiting.pop((room_id, name), None)
            if found is not None:
                found.close()
            source = self.registry.get(room_id, name)
            if live and source is not None and not source.video.live:
                # the audio came first: the venue is live once its video follows
                def first_frame() -> None:
                    waiting.pop((room_id, name), None)
                    self._spawn(listener(room_id, venue_id, True))

                waiting[(room_id, name)] = _FirstFrame(source.video, first_frame)
                return
            await listener(room_id, venue_id, live)

        self.registry.add_listener(on_source)

    def _spawn(self, coro: Awaitable[None]) -> None:
        if not self.tasks.closed:
            self.tasks.spawn(coro, name="program")

    def close(self) -> None:
        self.tasks.cancel()
        for switcher in [*self.programs.values(), *self.previews.values()]:
            switcher.close()
        self.programs.clear()
        self.previews.clear()
