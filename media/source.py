"""A publisher's encoded frames as a subscribable source (no decoding anywhere).

Building block for every forwarding path (venue feeds, seats, the program feed)::

    source = EncodedSource("video", keyframe_interval=0.3, name="venue:v1")
    source.attach("video/VP8", requester)     # upstream: codec + async keyframe requester (PLI)
    source.push(packet, keyframe=True)         # upstream: one av.Packet per encoded frame
    sub = source.subscribe()                   # downstream: a bounded queue of EncodedFrame
    frame = await sub.get()                    # frame.packet (pts, time_base), frame.keyframe

* **Keyframe requests** (:meth:`EncodedSource.request_keyframe`) are throttled and coalesced like
  mediasoup's and LiveKit's: while a request is outstanding (sent less than ``keyframe_interval``
  ago and no keyframe since), further requests are not lost but coalesced into one sent when the
  interval ends; a keyframe that arrives first answers them all (the timer is cancelled). Once a
  keyframe has answered the last request, the next request goes out at once. New video
  subscribers ask for one and receive nothing until a keyframe.
* **Re-asks from the last answered request.** libwebrtc (Chromium, Safari, Firefox's video
  engine) ignores a keyframe request that comes less than 300 ms after the last one its encoder
  *acted on* (``EncoderRtcpFeedback``, ``kMinKeyframeSendIntervalMs``). A request sent within
  ``keyframe_interval`` of the request a keyframe last answered (a quick cue then take, a multiview
  tile, a new viewer) is probably ignored, so the source asks once more when that window closes
  (plus :data:`REASK_MARGIN` for one-way delay variation) unless a keyframe comes first. Counted in
  ``keyframe_reasks``; a publisher that does not throttle (aiortc) answers at once and the re-ask
  is cancelled.
* **Bounded queues**: when a subscriber falls ``maxsize`` frames behind, its queue is emptied, it
  drops frames until the next keyframe and the source asks the publisher for one. Other
  subscribers are not affected.
* **Republishing**: ``attach`` of a new upstream keeps the same subscribers; timestamps are
  rebased so they continue monotonically (viewers never see time go backwards).
* Frames are shared, not copied: every subscriber receives the same ``av.Packet`` (read-only).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from server.cluster import TaskGroup

if TYPE_CHECKING:  # PyAV (about 16 MB resident) is imported by the first packet made, not at start-up
    import av

log = logging.getLogger(__name__)

KeyframeRequester = Callable[[], Awaitable[object]]

DEFAULT_QUEUE_FRAMES = 60
# seconds after the publisher's throttle window (measured from the last answered request) before a
# re-ask: covers the difference in one-way delay between the answered request and the re-ask
REASK_MARGIN = 0.025


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the keyframe throttle needs of time (the running event loop; a fake one in tests)."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer: ...


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One encoded frame: ``packet`` has ``pts`` and ``time_base``; ``received_at`` is monotonic.

    ``number`` counts the source's frames; ``tid`` and ``sync`` are its temporal layer (:mod:`media.vp8`); ``shared`` holds its RTP payloads per codec, made by the
    first viewer's sender and reused by every other (``aiortc_hooks.Packer``).
    """

    packet: av.Packet
    keyframe: bool
    received_at: float
    number: int = 0
    shared: dict[str, tuple[list[bytes], int]] = field(default_factory=dict)
    tid: int | None = None  # temporal layer (VP8 L1T3: 0, 1, 2); None when the publisher sends one layer
    sync: bool = False  # a layer-sync frame: refers only to layer 0 (see media/layers.py)


class ReaderClosed(Exception):
    """Raised by :meth:`FrameReader.get` once the reader (or its source) is closed."""


class FrameReader:
    """One reader of a source: a bounded queue that recovers from overflow at the next keyframe."""

    def __init__(self, source: EncodedSource, maxsize: int) -> None:
        self.source = source
        self.maxsize = maxsize
        self.frames: deque[EncodedFrame] = deque()
        self.waiting_keyframe = source.kind == "video"
        self.closed = False
        self.delivered = 0
        self.dropped = 0
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, frame: EncodedFrame) -> None:
        """Called by the source for every frame (never blocks)."""
        if self.closed:
            return
        if self.waiting_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                return
            self.waiting_keyframe = False
        if len(self.frames) >= self.maxsize:
            self.dropped += len(self.frames) + 1
            self.frames.clear()
            if not frame.keyframe:
                self.waiting_keyframe = True
                self.source.request_keyframe()
                return
        self.frames.append(frame)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> EncodedFrame:
        """The next frame; raises :class:`ReaderClosed` after :meth:`close`."""
        while not self.frames:
            if self.closed:
                raise ReaderClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        self.delivered += 1
        return self.frames.popleft()

    def close(self) -> None:
        """Stop receiving; a pending :meth:`get` raises :class:`ReaderClosed`."""
        if self.closed:
            return
        self.closed = True
        self.frames.clear()
        self.source._unsubscribe(self)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class EncodedSource:
    """Encoded frames of one kind (``"audio"`` or ``"video"``) fanned out to readers."""

    def __init__(
        self,
        kind: str,
        *,
        keyframe_interval: float = 0.3,
        name: str = "",
        clock: Clock | None = None,
        tasks: TaskGroup | None = None,
    ) -> None:
        if kind not in ("audio", "video"):
            raise ValueError(f"kind must be audio or video, not {kind!r}")
        self.kind = kind
        self.name = name
        self.keyframe_interval = keyframe_interval
        self.codec: str | None = None  # MIME type of the current upstream, e.g. "video/VP8"
        self.subscribers: set[FrameReader] = set()
        self.frames_in = 0
        self.bytes_in = 0
        self.keyframe_requests = 0  # requests actually sent upstream
        self.keyframe_reasks = 0  # of those, re-asks when the publisher's throttle window closed
        self.keyframes_in = 0  # keyframes received (video)
        self.layer_bytes = [0, 0, 0, 0]  # bytes received per temporal layer (layered publishers only)
        self.last_frame_at: float | None = None
        self._requester: KeyframeRequester | None = None
        self._clock = clock
        self._last_request = -1e9
        self._answered = True  # a keyframe arrived since the last request went upstream
        self._answered_request = -1e9  # when the last request a keyframe answered was sent
        self._timer: Timer | None = None
        self.tasks = tasks if tasks is not None else TaskGroup("media/source")  # keyframe requests
        self._pts_offset = 0
        self._last_pts: int | None = None
        self._rebase = False
        self.closed = False

    # ---- upstream ------------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        return self._requester is not None

    def attach(self, codec: str, requester: KeyframeRequester | None) -> None:
        """A publisher starts feeding this source (replacing any previous one)."""
        self.codec = codec
        self._requester = requester or _no_request
        self._answered = True  # a new publisher owes nothing to the old one's requests
        self._answered_request = -1e9  # and its encoder has acted on none of them
        self._rebase = self._last_pts is not None
        if self.kind == "video":  # a new encoder's stream only decodes from its first keyframe
            for sub in self.subscribers:
                sub.waiting_keyframe = True

    def detach(self) -> None:
        """The publisher went away; subscribers stay and wait for the next one."""
        self._requester = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def push(self, packet: av.Packet, keyframe: bool, tid: int | None = None, sync: bool = False) -> None:
        """Fan one encoded frame out to every subscriber (pts rebased across republishing);
        ``tid``/``sync``: its temporal layer and layer-sync bit, when the publisher sends layers."""
        if self.closed:
            return
        assert packet.pts is not None
        if self._rebase:
            assert self._last_pts is not None
            step = 960 if self.kind == "audio" else 3000
            self._pts_offset = self._last_pts + step - packet.pts
            self._rebase = False
        if self._pts_offset:
            packet.pts += self._pts_offset
        self._last_pts = packet.pts
        if keyframe and self.kind == "video":
            self.keyframes_in += 1
            self._keyframe_arrived()
        now = time.monotonic()
        self.frames_in += 1
        self.bytes_in += packet.size
        self.last_frame_at = now
        if tid is not None:
            self.layer_bytes[tid] += packet.size
        frame = EncodedFrame(packet, keyframe, now, self.frames_in, tid=tid, sync=sync)
        for sub in tuple(self.subscribers):
            sub.offer(frame)

    # ---- downstream ----------------------------------------------------------------------------
    def subscribe(self, maxsize: int = DEFAULT_QUEUE_FRAMES) -> FrameReader:
        """A new reader; a video reader starts at the next keyframe, which is requested now."""
        sub = FrameReader(self, maxsize)
        if self.closed:
            sub.closed = True
            return sub
        self.subscribers.add(sub)
        if self.kind == "video":
            self.request_keyframe()
        return sub

    def _unsubscribe(self, sub: FrameReader) -> None:
        self.subscribers.discard(sub)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe: sent now unless one is outstanding, never lost."""
        if self.kind != "video" or self._requester is None or self.closed:
            return
        clock = self._clock or asyncio.get_running_loop()
        wait = self._last_request + self.keyframe_interval - clock.time()
        if wait <= 0 or self._answered:
            self._send_request()
        elif self._timer is None:  # coalesced: sent when the interval ends unless a keyframe comes first
            self._timer = clock.call_later(wait, self._send_request)

    def _keyframe_arrived(self) -> None:
        """A keyframe answers every request made so far, sent or still waiting for the interval."""
        if not self._answered:  # the publisher acted on the last request: its throttle runs from it
            self._answered_request = self._last_request
        self._answered = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _send_request(self, reask: bool = False) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._requester is None or self.closed:
            return
        clock = self._clock or asyncio.get_running_loop()
        now = self._last_request = clock.time()
        self._answered = False
        self.keyframe_requests += 1
        self.keyframe_reasks += reask
        self.tasks.spawn(self._requester(), name=f"keyframe-request:{self.name}")
        window_ends = self._answered_request + self.keyframe_interval
        if now < window_ends:  # probably ignored (see the module doc): ask again when the window closes
            self._timer = clock.call_later(window_ends - now + REASK_MARGIN, self._reask)

    def _reask(self) -> None:
        self._timer = None
        self._send_request(reask=True)

    def close(self) -> None:
        """End the source: every subscriber's pending ``get`` raises :class:`ReaderClosed`."""
        self.closed = True
        self.detach()
        self.tasks.cancel()
        for sub in tuple(self.subscribers):
            sub.close()


async def _no_request() -> None:
    return None


def make_packet(data: bytes, pts: int, time_base: Fraction) -> av.Packet:
    """An ``av.Packet`` carrying one encoded frame."""
    import av

    packet = av.Packet(data)
    packet.pts = pts
    packet.dts = pts
    packet.time_base = time_base
    return packet
