"""An outgoing track that forwards encoded frames to one viewer's ``RTCRtpSender`` (no encoder).

Usage, for any peer connection that should receive a source::

    track = ForwardTrack(source.subscribe())          # "audio" or "video" from the source
    sender = pc.addTrack(track)                       # before createAnswer/createOffer
    pin_codec(transceiver_of(pc, sender), source.codec)  # setCodecPreferences to the source codec
    track.bind(sender)                                # RtpForwarder installed, viewer PLI -> source

``recv`` yields the source's :class:`EncodedFrame`; the sender's packet loop
(``aiortc_hooks.RtpForwarder``) sends its payloads, packed once for all viewers, with this viewer's
own sequence numbers, timestamp origin, SSRC and NACK history. :meth:`switch` moves the
track to another reader (e.g. a program cut) without renegotiation.
"""

from __future__ import annotations

import logging

from aiortc import MediaStreamTrack, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from media import aiortc_hooks
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

    def bind(self, sender: RTCRtpSender) -> None:
        """Forward the source's codec on ``sender`` (before negotiation) and its PLI/FIR upstream."""
        codec = self.reader.source.codec
        if codec is None:
            raise ValueError("the source has no codec yet (no publisher)")
        self.codec = codec
        self.forwarder = aiortc_hooks.install_forwarder(sender, codec)
        aiortc_hooks.on_keyframe_request(sender, self._keyframe_request)

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
