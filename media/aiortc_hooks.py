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
   (aiortc's way adds one frame interval to every forwarded frame), as a :class:`FirstPacketFrame`
   that keeps its first packet's payload (the VP8 descriptor: temporal layer, layer sync).
3. **Keyframe requests.** A viewer's PLI/FIR only calls ``sender._send_keyframe()``, which sets a
   flag the packet path never reads; :func:`on_keyframe_request` replaces that method on one sender.
   Towards the publisher, :func:`send_pli` uses the receiver's ``_send_rtcp_pli`` for the media SSRC.
4. **The packet loop.** aiortc's ``RTCRtpSender._run_rtp`` builds an ``RtpPacket`` object per packet
   (header extensions, NTP clock and serialization each time) and keeps them for NACKs in a private
   ``__rtp_history``. :class:`RtpForwarder` replaces ``_run_rtp`` and ``_retransmit`` on one sender
   (before ``send()`` starts it): one header template per frame, payloads shared by every viewer
   (:meth:`Packer.pack` on a :class:`Shareable` frame; VP8 without descriptors, each viewer writes
   its own picture ids and TL0PICIDX, :class:`media.vp8.Numbering`), its own history for NACKs (via
   RTX when negotiated), and the private counters aiortc's RTCP sender reports read. It also wraps
   ``_handle_rtcp_packet`` to hand the viewer's receiver reports (loss, aiortc's private ``__rtt``),
   NACKs and REMB to a :class:`Feedback` (the viewer's layer choice, :mod:`media.layers`).
5. **Receive statistics** (:func:`receive_counts`): packets received and lost per media SSRC, and
   the publisher leg's retransmissions (:class:`NackCounter`): aiortc's video receiver NACKs every
   gap (``_send_rtcp_nack``, sequence numbers it still misses), and retransmissions arrive as RTX on
   the SSRCs in its private ``__rtx_ssrc`` map (or again on the media SSRC without RTX).
6. **Loopback ICE candidates.** aioice's ``get_host_addresses`` skips 127.0.0.1 and has no option to
   keep it; :func:`use_loopback_candidates` swaps it process-wide (tests, single-machine demos).
7. **A UDP port range.** aioice binds every host candidate's socket to port 0 (any ephemeral port) in
   ``Connection.get_component_candidates`` and has no option for a range; :func:`use_port_range`
   swaps that method process-wide for a copy of aioice 0.13's that binds inside ``low..high``
   (a firewall then opens one range instead of every UDP port). The copy is checked against the
   source of the installed aioice, so an upgrade that changes the original fails the hook test.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import queue
import random
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

import aioice.ice
import aioice.turn
import av
from aioice.candidate import Candidate, candidate_foundation, candidate_priority
from aiortc import RTCRtpReceiver, RTCRtpSender, clock
from aiortc.codecs.base import Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    RTP_HISTORY_SIZE,
    HeaderExtensions,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)
from aiortc.utils import random32, uint16_add, uint16_gt

from media import vp8

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000

FrameCallback = Callable[[RTCRtpCodecParameters, JitterFrame], None]
# seconds a lost video packet is waited for (NACKed again every RENACK_INTERVAL) before the frame is
# given up and a keyframe asked for; with 50 +- 20 ms each way, two or three retransmissions fit
HOLE_TIMEOUT = 0.6
RENACK_INTERVAL = 0.15


class Shareable(Protocol):
    """A forwarded frame every viewer packs alike: payloads are made once and kept in ``shared``."""

    @property
    def packet(self) -> av.Packet: ...
    @property
    def number(self) -> int: ...  # frame counter of its source: the VP8 picture id
    @property
    def shared(self) -> dict[str, tuple[list[bytes], int]]: ...
    @property
    def tid(self) -> int | None: ...  # VP8 temporal layer (None: one layer)
    @property
    def sync(self) -> bool: ...  # VP8 layer sync


class Feedback(Protocol):
    """What a viewer's RTCP tells its forwarder (about once a second; see :mod:`media.layers`)."""

    def report(self, fraction_lost: float, rtt: float | None) -> None: ...
    def receiver_estimate(self, bitrate: int) -> None: ...
    def nacks(self, count: int, packets_sent: int) -> None: ...  # one NACK for ``count`` sequence numbers


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

    def pack(self, packet: av.Packet | Shareable) -> tuple[list[bytes], int]:
        if isinstance(packet, av.Packet):
            return self._pack(packet, self._next_picture_id())
        packed = packet.shared.get(self.mime)
        if packed is None:  # the first viewer of this codec packs it for all
            packed = packet.shared[self.mime] = self._pack(packet.packet, None)
        return packed

    def _next_picture_id(self) -> int:
        current, self.picture_id = self.picture_id, (self.picture_id + 1) % (1 << 15)
        return current

    def _pack(self, packet: av.Packet, picture_id: int | None) -> tuple[list[bytes], int]:
        """Payloads and RTP timestamp; VP8 without descriptors when ``picture_id`` is None (shared:
        each viewer's :class:`RtpForwarder` writes its own, see :class:`media.vp8.Numbering`)."""
        data = bytes(packet)
        if self.mime == "video/vp8":
            payloads = vp8.chunks(data) if picture_id is None else Vp8Encoder._packetize(data, picture_id)
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


def tap_receiver(
    receiver: RTCRtpReceiver, on_frame: FrameCallback, on_gap: Callable[[], None] | None = None
) -> None:
    """Deliver ``receiver``'s depayloaded frames to ``on_frame`` (event loop) instead of a decoder;
    ``on_gap`` when a lost video packet was given up (see :class:`CompleteFrameBuffer`).

    Must run before ``receiver.receive()`` (i.e. from the peer connection's ``track`` event).
    """
    if not hasattr(receiver, _DECODER_QUEUE) or not hasattr(receiver, _DECODER_THREAD):
        raise RuntimeError("aiortc changed: RTCRtpReceiver has no private decoder queue/thread")
    if getattr(receiver, _DECODER_THREAD) is not None:
        raise RuntimeError("tap_receiver must run before the receiver starts")
    setattr(receiver, _DECODER_QUEUE, _TapQueue(on_frame))
    release_complete_frames(receiver, on_gap)


class FirstPacketFrame(JitterFrame):
    """A depayloaded video frame that keeps its first packet's RTP payload (its VP8 descriptor:
    temporal layer, layer sync; see :mod:`media.vp8`)."""

    def __init__(self, data: bytes, timestamp: int, first_payload: bytes) -> None:
        super().__init__(data, timestamp)
        self.first_payload = first_payload


class CompleteFrameBuffer(JitterBuffer):
    """aiortc's jitter buffer, but a frame leaves as soon as it is complete.

    aiortc completes a video frame only when the first packet of the *next* frame arrives (its
    timestamp differs), which holds every forwarded frame back by one frame interval. Here a video
    frame is complete when the packets from the buffer's origin (the packet after the previous
    frame) up to one with the RTP marker bit are all present; a hole waits for its retransmission
    (aiortc NACKs video). An Opus packet is a whole frame (RFC 7587) and audio is never NACKed, so
    audio leaves packet by packet as it arrives, past any hole (aiortc's buffer would hold the packets
    behind a hole until 16 piled up, then keep that 300 ms queued for good); a packet older than one
    already sent is dropped. A video frame whose sender set no marker still completes on the
    timestamp change, as before.

    A video hole that no retransmission fills within ``hole_timeout`` (aiortc would wait until 512
    packets pile up: seconds of freeze on a lossy link) is given up: the frame with the hole is
    dropped up to the next frame boundary the buffer has (a packet with the marker bit) and
    ``on_gap`` is called, so the consumer drops frames until a keyframe and asks for one.
    """

    def __init__(
        self,
        capacity: int,
        *,
        video: bool,
        on_gap: Callable[[], None] | None = None,
        hole_timeout: float = HOLE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(capacity, prefetch=0, is_video=video)
        self.video = video
        self.on_gap = on_gap
        self.hole_timeout = hole_timeout
        self.clock = clock
        self.gaps = 0  # holes given up
        self._stalled_since: float | None = None
        self._newest: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        pli_flag, frame = super().add(packet)
        if not self.video or frame is not None or self._origin is None:
            self._stalled_since = None
            return pli_flag, frame
        if self._newest is None or uint16_gt(packet.sequence_number, self._newest):
            self._newest = packet.sequence_number
        hole = self._first_hole(self._newest)  # a retransmission may fill one hole of several
        if hole is None:  # the frame is still arriving
            self._stalled_since = None
            return pli_flag, frame
        now = self.clock()
        if self._stalled_since is None:
            self._stalled_since = now
        elif now - self._stalled_since >= self.hole_timeout and self._skip_past(hole):
            self._stalled_since = None
            self.gaps += 1
            if self.on_gap is not None:
                self.on_gap()
            frame = self._remove_frame(packet.sequence_number)
        return pli_flag, frame

    def _first_hole(self, newest: int) -> int | None:
        """Offset from the origin of the first missing packet before ``newest``, if any."""
        assert self._origin is not None
        ahead = uint16_add(newest, -self._origin)
        if ahead >= self._capacity:  # ``newest`` was already handed on: the origin is past it
            return None
        for count in range(ahead):
            if self._packets[(self._origin + count) % self._capacity] is None:
                return count
        return None

    def _skip_past(self, hole: int) -> bool:
        """Drop the frame with the hole: up to the first marker packet after it. False if none yet."""
        assert self._origin is not None
        for count in range(hole + 1, self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is not None and packet.marker:
                self.remove(count + 1)
                return True
        return False

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        if not self.video:  # add() already dropped a late packet (before the origin)
            packet = self._packets[sequence_number % self._capacity]
            assert packet is not None
            self.remove(uint16_add(sequence_number, -self._origin) + 1)  # it and the holes before it
            return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]
        packets: list[RtpPacket] = []
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None  # a hole: wait for the packet (or its retransmission)
            if packets and packet.timestamp != packets[0].timestamp:
                break  # the previous frame ended without a marker
            packets.append(packet)
            if packet.marker:
                break
        else:
            return None
        self.remove(len(packets))
        return FirstPacketFrame(b"".join(p._data for p in packets), packets[0].timestamp, packets[0].payload)  # type: ignore[attr-defined]


_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


def release_complete_frames(
    receiver: RTCRtpReceiver, on_gap: Callable[[], None] | None = None
) -> CompleteFrameBuffer:
    """Make ``receiver`` hand on each frame as soon as its last packet is in (no next-frame wait)."""
    old = getattr(receiver, _JITTER_BUFFER, None)
    if not isinstance(old, JitterBuffer) or not hasattr(old, "_is_video") or not hasattr(old, "_packets"):
        raise RuntimeError("aiortc changed: RTCRtpReceiver has no private __jitter_buffer")
    buffer = CompleteFrameBuffer(old.capacity, video=old._is_video, on_gap=on_gap)
    setattr(receiver, _JITTER_BUFFER, buffer)
    return buffer


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote peer of ``sender`` sends PLI or FIR."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc changed: RTCRtpSender._send_keyframe is gone")
    sender._send_keyframe = callback  # type: ignore[method-assign]


_SENDER = "_RTCRtpSender__"
_SENDER_STATE = ("started", "rtp_started", "rtp_exited", "rtp_header_extensions_map", "mid", "rtx_payload_type",
                 "rtx_sequence_number", "ntp_timestamp", "rtp_timestamp", "octet_count", "packet_count",
                 "rtt")  # fmt: skip
_HEADER = struct.Struct("!BBHLL")
_MARKER_TYPE_SEQ = struct.Struct("!BH")


class RtpForwarder:
    """Sends one viewer's forwarded frames in place of aiortc's ``RTCRtpSender._run_rtp``.

    Per frame: the shared payloads (:class:`Packer`), one header template (SSRC, timestamp, mid and
    abs-send-time extensions); per packet only the sequence number and marker differ, then SRTP and
    send. Keeps the last ``RTP_HISTORY_SIZE`` packets to answer NACKs, counted in ``retransmits``.
    """

    def __init__(self, sender: RTCRtpSender, packer: Packer) -> None:
        missing = [n for n in _SENDER_STATE if not hasattr(sender, _SENDER + n)]
        if (
            missing
            or not callable(getattr(sender, "_run_rtp", None))
            or not callable(getattr(sender, "_retransmit", None))
            or not callable(getattr(sender, "_handle_rtcp_packet", None))
        ):
            raise RuntimeError(
                f"aiortc changed: RTCRtpSender lacks _run_rtp/_retransmit/_handle_rtcp_packet or {missing}"
            )
        if getattr(sender, _SENDER + "started"):
            raise RuntimeError("install_forwarder must run before the sender starts (before negotiation)")
        self.sender = sender
        self.packer = packer
        self.retransmits = 0
        self.nacked = 0  # sequence numbers viewers asked for (answered or too old for the history)
        self.history: dict[int, tuple[int, bytes, bytes]] = {}  # seq % size -> (seq, header, payload)
        # this viewer's own VP8 picture ids and TL0PICIDX (continuous over the frames it is sent)
        self.numbering = vp8.Numbering(random.getrandbits(15), random.getrandbits(8))
        self.feedback: Feedback | None = None
        self._handle_rtcp = sender._handle_rtcp_packet
        sender._run_rtp = self.run  # type: ignore[method-assign]
        sender._retransmit = self.retransmit  # type: ignore[method-assign]
        sender._handle_rtcp_packet = self.handle_rtcp  # type: ignore[method-assign]

    def _get(self, name: str) -> Any:
        return getattr(self.sender, _SENDER + name)

    def _set(self, name: str, value: object) -> None:
        setattr(self.sender, _SENDER + name, value)

    async def run(self, codec: RTCRtpCodecParameters) -> None:
        sender, history = self.sender, self.history
        self._get("rtp_started").set()
        extensions_map = self._get("rtp_header_extensions_map")
        extensions = HeaderExtensions()
        extensions.mid = self._get("mid")
        seq, origin = random_sequence_number(), random32()
        packets = octets = 0
        payload_type = codec.payloadType
        assert payload_type is not None
        vp8_shared = self.packer.mime == "video/vp8"
        first = rest = b""
        try:
            while True:
                if sender.track is None:  # replaceTrack(None): idle, as aiortc does
                    await asyncio.sleep(0.02)
                    continue
                frame = await sender.track.recv()
                if not sender._enabled:
                    continue
                forwarded = cast("av.Packet | Shareable", frame)
                payloads, ts = self.packer.pack(forwarded)
                if vp8_shared and not isinstance(forwarded, av.Packet):  # this viewer's descriptors
                    first, rest = self.numbering.next(forwarded.tid, forwarded.sync)
                else:
                    first = rest = b""
                timestamp = (origin + ts) & 0xFFFFFFFF
                ntp = clock.current_ntp_time()
                extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
                profile, value = extensions_map.set(extensions)
                head = _HEADER.pack(0x90 if value else 0x80, payload_type, 0, timestamp, sender._ssrc)
                if value:
                    head += struct.pack("!HH", profile, len(value) >> 2) + value
                template = bytearray(head)
                last = len(payloads) - 1
                for i, chunk in enumerate(payloads):
                    _MARKER_TYPE_SEQ.pack_into(template, 1, payload_type | (0x80 if i == last else 0), seq)
                    header = bytes(template)
                    payload = (rest if i else first) + chunk
                    history[seq % RTP_HISTORY_SIZE] = (seq, header, payload)
                    await sender.transport._send_rtp(header + payload)
                    seq = (seq + 1) & 0xFFFF
                    packets += 1
                    octets += len(payload)
                for name, number in (("ntp_timestamp", ntp), ("rtp_timestamp", timestamp),
                                     ("octet_count", octets), ("packet_count", packets)):  # fmt: skip
                    self._set(name, number)  # what aiortc's RTCP sender reports read
        except (ConnectionError, MediaStreamError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("forwarding to a viewer failed")
        finally:
            if sender.track is not None:
                sender.track.stop()
            self._get("rtp_exited").set()  # RTCRtpSender.stop() waits for it

    async def handle_rtcp(self, packet: Any) -> None:
        """aiortc's handling (RTT, NACK, PLI), then this viewer's loss, RTT and REMB to ``feedback``."""
        await self._handle_rtcp(packet)
        feedback = self.feedback
        if feedback is None:
            return
        ssrc = self.sender._ssrc
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == ssrc:
                    feedback.report(report.fraction_lost / 256, self._get("rtt"))
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            feedback.nacks(len(packet.lost), self._get("packet_count"))
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            if ssrc in ssrcs:
                feedback.receiver_estimate(bitrate)

    async def retransmit(self, sequence_number: int) -> None:
        """Resend a packet a viewer NACKed, if still in the history (as RTX when negotiated)."""
        self.nacked += 1
        entry = self.history.get(sequence_number % RTP_HISTORY_SIZE)
        if entry is None or entry[0] != sequence_number:
            return
        _, header, payload = entry
        rtx_type = self._get("rtx_payload_type")
        if rtx_type is not None:  # RFC 4588: own SSRC and sequence numbers, original seq first
            rtx_seq = self._get("rtx_sequence_number")
            self._set("rtx_sequence_number", (rtx_seq + 1) & 0xFFFF)
            header = (header[:1] + bytes([(header[1] & 0x80) | rtx_type]) + rtx_seq.to_bytes(2, "big") + header[4:8]
                      + self.sender._rtx_ssrc.to_bytes(4, "big") + header[12:])  # fmt: skip
            payload = sequence_number.to_bytes(2, "big") + payload
        self.retransmits += 1
        await self.sender.transport._send_rtp(header + payload)


def install_forwarder(sender: RTCRtpSender, mime_type: str) -> RtpForwarder:
    """Make ``sender`` forward already-encoded frames: no encoder, :class:`RtpForwarder` packet loop."""
    return RtpForwarder(sender, install_packer(sender, mime_type))


def receive_counts(receiver: RTCRtpReceiver) -> tuple[int | None, int, int]:
    """``(media_ssrc, packets_received, packets_lost)`` of the busiest incoming stream.

    RTX arrives on its own SSRC with few packets, so the busiest SSRC is the media one.
    """
    streams: dict[int, Any] = getattr(receiver, _REMOTE_STREAMS)
    if not streams:
        return None, 0, 0
    ssrc, stats = max(streams.items(), key=lambda kv: kv[1].packets_received)
    return ssrc, int(stats.packets_received), int(stats.packets_lost)


_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
_NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"


class NackCounter:
    """Counts the NACKs ``receiver`` sends its remote sender and the retransmissions that come back.

    Install before the receiver starts (from the ``track`` event); aiortc's receiver still sends
    every NACK itself.
    """

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        send = getattr(receiver, "_send_rtcp_nack", None)
        if (
            not callable(send)
            or not isinstance(getattr(receiver, _RTX_SSRC, None), dict)
            or not hasattr(receiver, _NACK_GENERATOR)
        ):
            raise RuntimeError(
                "aiortc changed: RTCRtpReceiver lacks _send_rtcp_nack, __rtx_ssrc or __nack_generator"
            )
        self.receiver = receiver
        self.nacks = 0  # RTCP NACK packets sent
        self.nacked = 0  # sequence numbers asked for in them (one may be asked again at the next gap)
        self.repeated = 0  # NACKs sent again by :meth:`repeat`
        self._send = send
        receiver._send_rtcp_nack = self._send_nack  # type: ignore[method-assign]

    async def _send_nack(self, media_ssrc: int, lost: list[int]) -> None:
        self.nacks += 1
        self.nacked += len(lost)
        await self._send(media_ssrc, lost)

    async def repeat(self, interval: float = RENACK_INTERVAL, give_up: float = HOLE_TIMEOUT) -> None:
        """NACK again, every ``interval``, what is still missing (until ``give_up`` seconds old).

        aiortc NACKs only when a new gap appears, so a lost retransmission waited for the next loss;
        libwebrtc re-sends its NACKs about once per round trip in the same way.
        """
        generator = getattr(self.receiver, _NACK_GENERATOR)
        if generator is None or not isinstance(getattr(generator, "missing", None), set):
            raise RuntimeError("aiortc changed: RTCRtpReceiver has no private __nack_generator.missing")
        first_seen: dict[int, float] = {}
        while True:
            await asyncio.sleep(interval)
            missing: set[int] = generator.missing
            now = time.monotonic()
            for seq in [s for s in first_seen if s not in missing]:
                del first_seen[seq]
            again = [s for s in missing if interval <= now - first_seen.setdefault(s, now) < give_up]
            ssrc = receive_counts(self.receiver)[0]
            if again and ssrc is not None:
                self.repeated += 1
                await self._send_nack(ssrc, sorted(again))

    @property
    def rtx_received(self) -> int:
        """Packets that arrived on a negotiated RTX SSRC (each answers one NACKed sequence number)."""
        rtx: dict[int, int] = getattr(self.receiver, _RTX_SSRC)
        streams: dict[int, Any] = getattr(self.receiver, _REMOTE_STREAMS)
        return sum(int(streams[s].packets_received) for s in rtx if s in streams)


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


_original_component_candidates = aioice.ice.Connection.get_component_candidates
_port_range: tuple[int, int] | None = None


async def _bind_in_range(
    loop: asyncio.AbstractEventLoop, factory: Callable[[], Any], address: str, low: int, high: int
) -> tuple[asyncio.DatagramTransport, Any]:
    """A UDP endpoint on ``address`` at a free port of ``low..high`` (from a random start, so
    concurrent gatherers rarely race for the same port)."""
    size = high - low + 1
    start = random.randrange(size)
    for i in range(size):
        port = low + (start + i) % size
        try:
            transport, protocol = await loop.create_datagram_endpoint(factory, local_addr=(address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        return transport, protocol
    raise OSError(errno.EADDRINUSE, f"no free UDP port in {low}-{high} on {address}")


async def _component_candidates_in_range(
    self: aioice.ice.Connection,
    component: int,
    addresses: list[str],
    timeout: int = 5,  # noqa: ASYNC109 (aioice's signature)
) -> list[Candidate]:
    """aioice 0.13's ``Connection.get_component_candidates``; only the host sockets' bind differs."""
    assert _port_range is not None
    low, high = _port_range
    candidates = []
    loop = asyncio.get_running_loop()

    # Gather host candidates.
    host_protocols = []
    for address in addresses:
        # Create the transport.
        try:
            transport, protocol = await _bind_in_range(
                loop, lambda: aioice.ice.StunProtocol(self), address, low, high
            )
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, aioice.turn.UDP_SOCKET_BUFFER_SIZE)
        except OSError as exc:
            log.warning("could not bind a media socket on %s: %s", address, exc)
            continue
        host_protocols.append(protocol)

        # Add the host candidate.
        candidate_address = protocol.transport.get_extra_info("sockname")
        protocol.local_candidate = Candidate(
            foundation=candidate_foundation("host", "udp", candidate_address[0]),
            component=component,
            transport="udp",
            priority=candidate_priority(component, "host"),
            host=candidate_address[0],
            port=candidate_address[1],
            type="host",
        )
        candidates.append(protocol.local_candidate)
    self._protocols += host_protocols

    tasks: list[asyncio.Task[tuple[Candidate, aioice.ice.StunProtocol | None]]] = []

    # Query STUN server for server-reflexive candidates (IPv4 only).
    if self.stun_server:
        for protocol in host_protocols:
            if aioice.ice.ipaddress.ip_address(protocol.local_candidate.host).version == 4:
                tasks.append(
                    asyncio.create_task(aioice.ice.server_reflexive_candidate(protocol, self.stun_server))
                )

    # Connect to TURN server.
    if self.turn_server:
        tasks.append(
            asyncio.create_task(
                aioice.ice.relayed_candidate(
                    component=component,
                    hide_related_address=(self._transport_policy == aioice.ice.TransportPolicy.RELAY),
                    protocol_factory=lambda: aioice.ice.StunProtocol(self),
                    turn_server=self.turn_server,
                    turn_username=self.turn_username,
                    turn_password=self.turn_password,
                    turn_ssl=self.turn_ssl,
                    turn_transport=self.turn_transport,
                )
            )
        )

    # Run tasks in parallel and handle exceptions.
    if len(tasks):
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in done:
            if task.exception() is None:
                candidate, relay_protocol = task.result()
                candidates.append(candidate)
                if relay_protocol is not None:
                    self._protocols.append(relay_protocol)
        for task in pending:
            task.cancel()

    return candidates


def use_port_range(ports: tuple[int, int] | None) -> None:
    """Bind media host sockets inside ``(low, high)`` in this process, or anywhere (None)."""
    global _port_range
    if ports is not None and not 1024 <= ports[0] <= ports[1] <= 65535:
        raise ValueError(f"bad UDP port range {ports}")
    _port_range = ports
    method = _original_component_candidates if ports is None else _component_candidates_in_range
    aioice.ice.Connection.get_component_candidates = method  # type: ignore[method-assign]
