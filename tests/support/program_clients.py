"""Venues with their own colour for program-feed tests, and observers that classify what they decode."""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass, field

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests.support.media_clients import VIDEO_RATE, draw_counter, no_ice, read_counter

# chroma (U, V) per venue; "slate" is the slate's dark blue (media.slate.BACKGROUND)
COLOURS: dict[str, tuple[int, int]] = {
    "red": (90, 220),
    "blue": (220, 110),
    "green": (60, 60),
    "slate": (137, 122),
}
WIDTH, HEIGHT = 320, 240


class ColourTrack(MediaStreamTrack):
    """Video at ``fps`` (15: light on a shared 2-core machine) in one colour with the frame counter drawn in (top rows)."""

    kind = "video"

    def __init__(self, colour: str, fps: int = 15) -> None:
        super().__init__()
        self.colour = colour
        self.fps = fps
        self.count = 0
        self._start: float | None = None
        u, v = COLOURS[colour]
        self._u = bytes([u]) * (WIDTH * HEIGHT // 4)
        self._v = bytes([v]) * (WIDTH * HEIGHT // 4)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.count / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = draw_counter(self.count, WIDTH, HEIGHT)
        frame.planes[1].update(self._u)
        frame.planes[2].update(self._v)
        frame.pts = self.count * (VIDEO_RATE // self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self.count += 1
        return frame


def classify(frame: av.VideoFrame) -> str:
    """The colour of a decoded frame, or "mix" when its quadrants disagree (a broken cut)."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    w, h = frame.width // 2, frame.height // 2
    planes = [(bytes(p), p.line_size) for p in (frame.planes[1], frame.planes[2])]
    names = set()
    for qx, qy in ((0.25, 0.6), (0.75, 0.6), (0.25, 0.85), (0.75, 0.85)):
        x, y = int(w * qx), int(h * qy)
        u, v = (_mean(data, stride, x, y) for data, stride in planes)
        name, dist = min(
            ((n, (u - cu) ** 2 + (v - cv) ** 2) for n, (cu, cv) in COLOURS.items()), key=lambda t: t[1]
        )
        names.add(name if dist < 30**2 else "mix")
    return names.pop() if len(names) == 1 else "mix"


def _mean(data: bytes, stride: int, x: int, y: int, r: int = 3) -> float:
    total = 0
    for yy in range(y - r, y + r):
        row = yy * stride
        total += sum(data[row + x - r : row + x + r])
    return total / (4 * r * r)


@dataclass
class Seen:
    at: float
    colour: str
    counter: int
    pts: int


@dataclass
class Observer:
    """A receiving peer (video + audio) that decodes and classifies every video frame."""

    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(no_ice()))
    frames: list[Seen] = field(default_factory=list)
    audio_frames: int = 0
    states: list[str] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    audio: bool = True
    counters: bool = False  # also read the frame counter drawn into each frame

    def __post_init__(self) -> None:
        self.pc.addTransceiver("video", direction="recvonly")
        if self.audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.on("track", lambda track: self._tasks.append(asyncio.ensure_future(self._read(track))))
        self.pc.on("connectionstatechange", lambda: self.states.append(self.pc.connectionState))

    async def offer(self) -> RTCSessionDescription:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription

    async def accept(self, answer: RTCSessionDescription) -> None:
        await self.pc.setRemoteDescription(answer)

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "audio":
                    self.audio_frames += 1
                    continue
                assert isinstance(frame, av.VideoFrame) and frame.pts is not None
                colour = classify(frame)
                counter = read_counter(frame) if self.counters and colour not in ("slate", "mix") else -1
                self.frames.append(Seen(time.monotonic(), colour, counter, frame.pts))
                self._changed.set()
        except MediaStreamError:
            return

    def colour(self) -> str | None:
        return self.frames[-1].colour if self.frames else None

    async def wait_colour(
        self, colour: str, after: float = 0.0, frames: int = 5, timeout: float = 10
    ) -> float:
        """Wait until ``frames`` consecutive frames since ``after`` show ``colour``; returns the first's time."""
        deadline = time.monotonic() + timeout
        while True:
            run = 0
            for seen in self.frames:
                if seen.at < after:
                    continue
                run = run + 1 if seen.colour == colour else 0
                if run >= frames:
                    return self.first_of(colour, after)
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"observer never showed {colour}: {[s.colour for s in self.frames[-10:]]}"
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def first_of(self, colour: str, after: float) -> float:
        return next(s.at for s in self.frames if s.at >= after and s.colour == colour)

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
