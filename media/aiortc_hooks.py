"""Every place Moke reaches into aiortc/aioice internals. Pinned to aiortc 1.16 / aioice 0.13.

Nothing else in ``media/`` touches a private name of aiortc; ``tests/media/test_aiortc_hooks.py``
fails loudly when an upgrade moves any of these:

1. **Packing without an encoder.** ``RTCRtpSender`` packetizes an ``av.Packet`` with
   ``encoder.pack`` but creates the encoder with ``get_encoder`` first (``OpusEncoder()`` opens a
   libopus encoder). :func:`install_packer` puts a :class:`Packer` in the sender's private
   ``__encoder`` slot, so ``get_encoder`` never runs and ``encode`` raises if anything ever tries.
2. **Receiving without a decoder.** ``RTCRtpReceiver`` hands each depayloaded frame (raw VP8,
   Annex-B H.264, Opus) from its jitter buffer to a decoder thread through a private
   ``queue.Queue`` of ``(codec, JitterFrame)``. :func:`tap_receiver` swaps that queue (before
   ``receive()`` starts the thread) for one that gives frames to a callback on the event loop;
   the end-of-stream ``None`` still reaches the (idle) thread, so the track ends as usual.
   It also swaps the receiver's private ``__jitter_buffer`` for a :class:`CompleteFrameBuffer`,
   which hands a frame on when its marker packet is in instead of when the next frame starts
   (aiortc's way adds one frame interval to every forwarded frame).
3. **Keyframe requests.** A viewer's PLI/FIR only calls ``sender._send_keyframe()``, which sets a
   flag the packet path never reads; :func:`on_keyframe_request` replaces that method on one sender.
   Towards the publisher, :func:`send_pli` uses the receiver's ``_send_rtcp_pli`` for the media SSRC.
4. **Retransmissions.** A viewer's NACK makes the sender call ``_retransmit(seq)``, which resends
   the packet from its private ``__rtp_history`` (via RTX when negotiated); :func:`on_retransmit`
   wraps that method on one sender to count the packets actually found and resent.
5. **Receive statistics** (:func:`receive_counts`): packets received and lost per media SSRC.
6. **Loopback ICE candidates.** aioice's ``get_host_addresses`` skips 127.0.0.1 and has no option to
   keep it; :func:`use_loopback_candidates` swaps it process-wide (tests, single-machine demos).
"""

from __future__ import annotations

import logging
import queue
import random
from collections.abc import Callable
from typing import Any

import aioice.ice
import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.base import Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000

FrameCallback = Callable[[RTCRtpCodecParameters, JitterFrame], None]


class Packer(Encoder):
    """Packetizes already-encoded frames for one codec; never encodes (no codec context at all)."""

    def __init__(self, mime_type: str) -> None:
        self.mime = mime_type.lower()
        if self.mime not in ("video/vp8", "video/h264", "audio/opus"):
            raise ValueError(f"cannot forward {mime_type!r}")
        self.clock = AUDIO_CLOCK if self.mime.startswith("audio/") else VIDEO_CLOCK
        self.picture_id = random.randint(0, (1 << 15) - 1)
        self.packed = 0

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise RuntimeError("a forwarding sender must never encode a raw frame")

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]:
        data = bytes(packet)
        if self.mime == "video/vp8":
            payloads = Vp8Encoder._packetize(data, self.picture_id)
            self.picture_id = (self.picture_id + 1) % (1 << 15)
        elif self.mime == "video/h264":
            payloads = H264Encoder._packetize(H264Encoder._split_bitstream(data))
        else:
            payloads = [data]
        assert packet.pts is not None and packet.time_base is not None
        timestamp = int(packet.pts * packet.time_base * self.clock)
        self.packed += 1
        return payloads, timestamp


_ENCODER_SLOT = "_RTCRtpSender__encoder"


def install_packer(sender: RTCRtpSender, mime_type: str) -> Packer:
    """Make ``sender`` packetize forwarded ``av.Packet``s without creating an encoder."""
    if not hasattr(sender, _ENCODER_SLOT):
        raise RuntimeError("aiortc changed: RTCRtpSender has no private __encoder slot")
    packer = Packer(mime_type)
    setattr(sender, _ENCODER_SLOT, packer)
    return packer


def sender_encoder(sender: RTCRtpSender) -> Encoder | None:
    """What the sender will use to turn track output into payloads (for tests and checks)."""
    encoder: Encoder | None = getattr(sender, _ENCODER_SLOT)
    return encoder


class _TapQueue(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue: frames go to a callback, ``None`` to the thread."""

    def __init__(self, on_frame: FrameCallback) -> None:
        super().__init__()
        self.on_frame = on_frame

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None)
            return
        codec, frame = item
        try:
            self.on_frame(codec, frame)
        except Exception:  # a bad frame must not kill the publisher's RTP path
            log.exception("forwarding a received frame failed")


_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"


def tap_receiver(receiver: RTCRtpReceiver, on_frame: FrameCallback) -> None:
    """Deliver ``receiver``'s depayloaded frames to ``on_frame`` (event loop) instead of a decoder.

    Must run before ``receiver.receive()`` (i.e. from the peer connection's ``track`` event).
    """
    if not hasattr(receiver, _DECODER_QUEUE) or not hasattr(receiver, _DECODER_THREAD):
        raise RuntimeError("aiortc changed: RTCRtpReceiver has no private decoder queue/thread")
    if getattr(receiver, _DECODER_THREAD) is not None:
        raise RuntimeError("tap_receiver must run before the receiver starts")
    setattr(receiver, _DECODER_QUEUE, _TapQueue(on_frame))
    release_complete_frames(receiver)


class CompleteFrameBuffer(JitterBuffer):
    """aiortc's jitter buffer, but a frame leaves as soon as it is complete.

    aiortc completes a video frame only when the first packet of the *next* frame arrives (its
    timestamp differs), which holds every forwarded frame back by one frame interval. Here a video
    frame is complete when the packets from the buffer's origin (the packet after the previous
    frame) up to one with the RTP marker bit are all present; an Opus packet is a whole frame
    (RFC 7587), so audio leaves packet by packet. A frame whose sender set no marker still
    completes on the timestamp change, as before.
    """

    def __init__(self, capacity: int, *, video: bool) -> None:
        super().__init__(capacity, prefetch=0, is_video=video)
        self.video = video

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None  # a hole: wait for the packet (or its retransmission)
            if packets and packet.timestamp != packets[0].timestamp:
                break  # the previous frame ended without a marker
            packets.append(packet)
            if packet.marker or not self.video:
                break
        else:
            return None
        self.remove(len(packets))
        return JitterFrame(data=b"".join(p._data for p in packets), timestamp=packets[0].timestamp)  # type: ignore[attr-defined]


_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


def release_complete_frames(receiver: RTCRtpReceiver) -> CompleteFrameBuffer:
    """Make ``receiver`` hand on each frame as soon as its last packet is in (no next-frame wait)."""
    old = getattr(receiver, _JITTER_BUFFER, None)
    if not isinstance(old, JitterBuffer) or not hasattr(old, "_is_video") or not hasattr(old, "_packets"):
        raise RuntimeError("aiortc changed: RTCRtpReceiver has no private __jitter_buffer")
    buffer = CompleteFrameBuffer(old.capacity, video=old._is_video)
    setattr(receiver, _JITTER_BUFFER, buffer)
    return buffer


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote peer of ``sender`` sends PLI or FIR."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc changed: RTCRtpSender._send_keyframe is gone")
    sender._send_keyframe = callback  # type: ignore[method-assign]


_RTP_HISTORY = "_RTCRtpSender__rtp_history"


def on_retransmit(sender: RTCRtpSender, callback: Callable[[int], None]) -> None:
    """Call ``callback(sequence_number)`` for each NACKed packet ``sender`` still has and resends."""
    history: dict[int, RtpPacket] | None = getattr(sender, _RTP_HISTORY, None)
    original = getattr(sender, "_retransmit", None)
    if not isinstance(history, dict) or not callable(original):
        raise RuntimeError("aiortc changed: RTCRtpSender has no _retransmit / private __rtp_history")

    async def retransmit(sequence_number: int) -> None:
        packet = history.get(sequence_number % RTP_HISTORY_SIZE)
        if packet is not None and packet.sequence_number == sequence_number:
            callback(sequence_number)
        await original(sequence_number)

    sender._retransmit = retransmit  # type: ignore[method-assign]


def receive_counts(receiver: RTCRtpReceiver) -> tuple[int | None, int, int]:
    """``(media_ssrc, packets_received, packets_lost)`` of the busiest incoming stream.

    RTX arrives on its own SSRC with few packets, so the busiest SSRC is the media one.
    """
    streams: dict[int, Any] = getattr(receiver, _REMOTE_STREAMS)
    if not streams:
        return None, 0, 0
    ssrc, stats = max(streams.items(), key=lambda kv: kv[1].packets_received)
    return ssrc, int(stats.packets_received), int(stats.packets_lost)


async def send_pli(receiver: RTCRtpReceiver) -> bool:
    """Ask the publisher behind ``receiver`` for a keyframe; False when no media has arrived yet."""
    ssrc, _, _ = receive_counts(receiver)
    if ssrc is None:
        return False
    await receiver._send_rtcp_pli(ssrc)
    return True


_original_host_addresses = aioice.ice.get_host_addresses


def _loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def use_loopback_candidates(enabled: bool) -> None:
    """Gather only 127.0.0.1 host candidates in this process (True) or the real interfaces (False)."""
    aioice.ice.get_host_addresses = _loopback_only if enabled else _original_host_addresses
