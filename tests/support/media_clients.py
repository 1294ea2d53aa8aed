"""aiortc client peers for media tests: a synthetic publisher (frame counter drawn in, a tone) and viewers."""

from __future__ import annotations

import array
import asyncio
import fractions
import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtpPacket

VIDEO_RATE = 90000
BITS = 12
CELL = 16


def draw_counter(n: int, width: int = 320, height: int = 240) -> av.VideoFrame:
    """A grey frame whose top row shows ``n`` in binary as black/white 16-pixel squares (luma)."""
    luma = bytearray([128]) * (width * height)
    for bit in range(BITS):
        value = 235 if (n >> bit) & 1 else 16
        for y in range(CELL):
            row = y * width + bit * CELL
            luma[row : row + CELL] = bytes([value]) * CELL
    shade = (n * 7) % 256  # some change each frame so the encoder has work
    luma[CELL * 2 * width : CELL * 3 * width] = bytes([shade]) * (CELL * width)
    chroma = bytes([128]) * (width * height // 4)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, data in zip(frame.planes, (bytes(luma), chroma, chroma), strict=True):
        plane.update(data)
    return frame


def read_counter(frame: av.VideoFrame) -> int:
    """Inverse of :func:`draw_counter` on a decoded (lossy) frame."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    plane = frame.planes[0]
    data = bytes(plane)
    stride = plane.line_size
    n = 0
    for bit in range(BITS):
        total = 0
        for y in range(4, CELL - 4):
            row = y * stride + bit * CELL
            total += sum(data[row + 4 : row + CELL - 4])
        if total / (8 * 8) > 128:
            n |= 1 << bit
    return n


class CounterTrack(MediaStreamTrack):
    """Video at ``fps`` whose frames carry their index (real time paced)."""

    kind = "video"

    def __init__(self, fps: int = 30) -> None:
        super().__init__()
        self.fps = fps
        self.count = 0
        self.sent_at: dict[int, float] = {}
        self._start: float | None = None

    def rate_between(self, first: int, last: int) -> float:
        """Frames per second the publisher produced between two counters."""
        return (last - first) / (self.sent_at[last] - self.sent_at[first])

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        target = self._start + self.count / self.fps
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = draw_counter(self.count)
        frame.pts = self.count * (VIDEO_RATE // self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self.sent_at[self.count] = time.monotonic()
        self.count += 1
        return frame


class ToneTrack(MediaStreamTrack):
    """A 440 Hz tone in 20 ms frames."""

    kind = "audio"

    def __init__(self, freq: float = 440.0) -> None:
        super().__init__()
        self.freq = freq
        self.samples = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.samples / 48000 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pcm = array.array(
            "h",
            (int(math.sin(2 * math.pi * self.freq * (i + self.samples) / 48000) * 8000) for i in range(960)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


def no_ice() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


async def publisher_offer(
    video: MediaStreamTrack | None,
    audio: MediaStreamTrack | None,
    codec: str | None = None,
    config: RTCConfiguration | None = None,
) -> RTCPeerConnection:
    """A publishing peer with its offer set as local description (``config``: ICE servers, policy)."""
    pc = RTCPeerConnection(config or no_ice())
    for track in (audio, video):
        if track is not None:
            t = pc.addTransceiver(track, direction="sendonly")
            if codec and track.kind == "video":
                from aiortc import RTCRtpSender

                caps = [
                    c
                    for c in RTCRtpSender.getCapabilities("video").codecs
                    if c.mimeType in (codec, "video/rtx")
                ]
                t.setCodecPreferences(caps)
    await pc.setLocalDescription(await pc.createOffer())
    return pc


class FirstDeliveryLoss:
    """Drops every ``every``-th media packet reaching ``receiver`` the first time it arrives.

    Sits in front of the receiver's RTP handler (after SRTP), so the receiver sees real gaps and
    sends real NACKs; the resent packet (RTX, or the same sequence number again) passes.
    """

    def __init__(self, receiver: RTCRtpReceiver, every: int) -> None:
        self.every = every
        self.media_ssrc: int | None = None
        self.media_packets = 0
        self.dropped: dict[int, float] = {}  # sequence number -> when it was dropped
        self.recovered: set[int] = set()  # dropped sequence numbers that came again
        self._handle = receiver._handle_rtp_packet
        receiver._handle_rtp_packet = self._filter  # type: ignore[method-assign]

    async def _filter(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        if self.media_ssrc is None:
            self.media_ssrc = packet.ssrc  # RTX only ever follows a NACK, so the first SSRC is the media one
        seq = packet.sequence_number
        if packet.ssrc == self.media_ssrc:
            if seq in self.dropped:
                self.recovered.add(seq)
            else:
                self.media_packets += 1
                if self.media_packets % self.every == 0:
                    self.dropped[seq] = time.monotonic()
                    return
        elif len(packet.payload) >= 2:  # RTX (RFC 4588): the original sequence number comes first
            self.recovered.add(int.from_bytes(packet.payload[:2], "big"))
        await self._handle(packet, arrival_time_ms)


class Viewer:
    """A receiving peer that decodes video, reading the counter of each frame.

    ``lose_every``: drop every n-th incoming video packet on first delivery (see :class:`FirstDeliveryLoss`).
    """

    def __init__(
        self, *, audio: bool = True, lose_every: int = 0, config: RTCConfiguration | None = None
    ) -> None:
        self.pc = RTCPeerConnection(config or no_ice())
        self.pc.addTransceiver("video", direction="recvonly")
        if audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.counters: list[tuple[float, int]] = []
        self.audio_frames: list[av.AudioFrame] = []
        self.first_frame = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.on_counter: Callable[[int], None] | None = None
        self.connected_at: float | None = None
        self.lose_every = lose_every
        self.loss: FirstDeliveryLoss | None = None
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._state)

    def _state(self) -> None:
        if self.pc.connectionState == "connected" and self.connected_at is None:
            self.connected_at = time.monotonic()

    async def offer(self) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "type": self.pc.localDescription.type}

    async def accept(self, answer: dict[str, Any]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video" and self.lose_every:
            [receiver] = [t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track]
            self.loss = FirstDeliveryLoss(receiver, self.lose_every)
        self._tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    assert isinstance(frame, av.VideoFrame)
                    self.counters.append((time.monotonic(), read_counter(frame)))
                    self.first_frame.set()
                else:
                    if len(self.audio_frames) < 200:
                        self.audio_frames.append(frame)
        except MediaStreamError:
            return

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def dominant_frequency(frames: list[av.AudioFrame]) -> float:
    """Frequency estimate of a tone from its zero crossings (first channel)."""
    samples: list[int] = []
    rate = frames[0].sample_rate
    for f in frames:
        if f.format.name != "s16" or f.layout.name != "mono":
            f = av.AudioResampler(format="s16", layout="mono", rate=rate).resample(f)[0]
        samples.extend(array.array("h", bytes(f.planes[0]))[: f.samples])
    crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate)
