"""An outgoing track that forwards encoded frames to one viewer's ``RTCRtpSender`` (no encoder).

Usage, for any peer connection that should receive a source::

    track = ForwardTrack(source.subscribe())          # "audio" or "video" from the source
    sender = pc.addTrack(track)                       # before createAnswer/createOffer
    pin_codec(transceiver_of(pc, sender), source.codec)  # setCodecPreferences to the source codec
    track.bind(sender)                                # RtpForwarder installed, viewer PLI -> source

``recv`` yields the source's :class:`EncodedFrame` — of a temporally layered source only the layers
this viewer is given (:mod:`media.layers`: chosen from its RTCP, or pinned); the sender's packet loop
(``aiortc_hooks.RtpForwarder``) sends its payloads, packed once for all viewers, with this viewer's
own sequence numbers, timestamp origin, SSRC and NACK history. :meth:`switch` moves the
track to another reader (e.g. a program cut) without renegotiation.
"""

from __future__ import annotations

import logging
import time

from aiortc import MediaStreamTrack, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from media import aiortc_hooks
from media.layers import Adapter, LayerSelector
from media.source import EncodedFrame, FrameReader, ReaderClosed

log = logging.getLogger(__name__)


class ForwardTrack(MediaStreamTrack):
    """Yields the subscribed source's frames to one sender; PLI/FIR go to the source."""

    def __init__(self, reader: FrameReader) -> None:
        super().__init__()
        self.kind = reader.source.kind
        self.reader = reader
        self.sent = 0
        self.bytes_sent = 0
        self.forwarder: aiortc_hooks.RtpForwarder | None = None
        self.codec: str | None = None
        self.layers = LayerSelector()
        self.adapter = Adapter(time.monotonic())
        self.pin: int | None = None  # a moderator's choice for this viewer
        self.room_pin: int | None = None  # a moderator's choice for the whole room
        self.skipped = 0  # frames of layers above this viewer's

    def bind(self, sender: RTCRtpSender) -> None:
        """Forward the source's codec on ``sender`` (before negotiation) and its PLI/FIR upstream."""
        codec = self.reader.source.codec
        if codec is None:
            raise ValueError("the source has no codec yet (no publisher)")
        self.codec = codec
        self.forwarder = aiortc_hooks.install_forwarder(sender, codec)
        if self.kind == "video":
            self.forwarder.feedback = self
        aiortc_hooks.on_keyframe_request(sender, self._keyframe_request)

    # ---- layers ----------------------------------------------------------------------------------
    def report(self, fraction_lost: float, rtt: float | None) -> None:
        """The viewer's receiver report (:class:`aiortc_hooks.Feedback`)."""
        self.adapter.report(fraction_lost, rtt, time.monotonic())
        self._retarget()

    def receiver_estimate(self, bitrate: int) -> None:
        """The viewer's REMB (:class:`aiortc_hooks.Feedback`): shown in the status only."""
        self.adapter.receiver_estimate(bitrate)

    def nacks(self, count: int, packets_sent: int) -> None:
        """A NACK from the viewer (:class:`aiortc_hooks.Feedback`)."""
        self.adapter.nacks(count, packets_sent, time.monotonic())
        self._retarget()

    def set_pins(self, viewer: int | None, room: int | None) -> None:
        """A moderator's layer for this viewer and for its room (None: the viewer's own estimate)."""
        self.pin, self.room_pin = viewer, room
        self._retarget()

    def _retarget(self) -> None:
        pin = self.pin if self.pin is not None else self.room_pin
        self.layers.set_target(pin if pin is not None else self.adapter.layer)

    def layer_status(self) -> dict[str, object]:
        """This viewer's layer, estimate and switches (the room's media status)."""
        adapter = self.adapter
        return {
            "layer": self.layers.current, "target": self.layers.target, "pin": self.pin, "room_pin": self.room_pin,
            "switches": self.layers.switches, "skipped_frames": self.skipped, "loss": round(adapter.loss, 3),
            "rtt": None if adapter.rtt is None else round(adapter.rtt, 4), "remb": adapter.remb,
        }  # fmt: skip

    @property
    def retransmits(self) -> int:
        """Packets resent from this viewer's history on its NACKs."""
        return self.forwarder.retransmits if self.forwarder is not None else 0

    @property
    def nacked(self) -> int:
        """Sequence numbers this viewer NACKed (``retransmits`` of them were still in the history)."""
        return self.forwarder.nacked if self.forwarder is not None else 0

    def _keyframe_request(self) -> None:
        self.reader.source.request_keyframe()

    def switch(self, reader: FrameReader) -> None:
        """Forward another reader from now on (same kind and codec); closes the old one."""
        if reader.source.kind != self.kind:
            raise ValueError("cannot switch between audio and video")
        old, self.reader = self.reader, reader
        old.close()

    async def recv(self) -> EncodedFrame:  # type: ignore[override]  # RtpForwarder packs it
        if self.readyState != "live":
            raise MediaStreamError
        while True:
            sub = self.reader
            try:
                frame: EncodedFrame = await sub.get()
            except ReaderClosed:
                if sub is not self.reader:  # switched while waiting
                    continue
                self.stop()
                raise MediaStreamError from None
            if sub.source.codec != self.codec:
                continue  # a republish in another codec: this leg was negotiated for ours
            if frame.tid is not None and not self.layers.admit(frame.tid, frame.keyframe, frame.sync):
                self.skipped += 1
                continue
            self.sent += 1
            self.bytes_sent += frame.packet.size
            return frame

    def stop(self) -> None:
        super().stop()
        self.reader.close()


def pin_codec(transceiver: RTCRtpTransceiver, mime_type: str) -> None:
    """Offer/answer only the source's codec on this leg (plus RTX for video retransmissions).

    Without it a viewer could negotiate VP8 while the source carries H.264 bytes.
    """
    kind = transceiver.kind
    caps = RTCRtpSender.getCapabilities(kind).codecs
    chosen: list[RTCRtpCodecCapability] = [c for c in caps if c.mimeType.lower() == mime_type.lower()]
    if not chosen:
        raise ValueError(f"codec {mime_type} is not available for {kind}")
    if kind == "video":
        chosen += [c for c in caps if c.mimeType.lower() == "video/rtx"]
    transceiver.setCodecPreferences(chosen)
