"""Server-side peer connections: a publisher feeding a :class:`MediaSource`, a viewer watching one.

Both answer a client's SDP offer (no trickle: aiortc gathers host candidates before answering).
A publisher's frames are tapped from aiortc's receivers (no decoder) and pushed into the source;
a viewer gets one :class:`~media.forward.ForwardTrack` per offered kind, pinned to the source codec.
Each peer owns its tasks and ends them in :meth:`Peer.close`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from fractions import Fraction

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import aiortc_hooks, vp8
from media.bitstream import is_keyframe
from media.forward import ForwardTrack, pin_codec
from media.registry import MediaSource
from media.source import EncodedSource, make_packet
from server.cluster import TaskGroup
from server.errors import ValidationError

log = logging.getLogger(__name__)

EndedCallback = Callable[["Peer", str], Awaitable[None]]
DEFAULT_CODECS = {"video": "video/VP8", "audio": "audio/opus"}
FORWARDABLE = {"video/vp8", "video/h264", "audio/opus"}


class Offer(RTCSessionDescription):
    """A validated client offer; ``kinds`` are its media sections' kinds, in order."""

    kinds: list[str]


def parse_offer(sdp: str, type_: str) -> Offer:
    """Validate a client's offer (clear error instead of an aiortc traceback)."""
    if type_ != "offer":
        raise ValidationError("type must be 'offer'", code="invalid_sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > 64 * 1024:
        raise ValidationError("sdp must be an SDP offer of at most 64 KiB", code="invalid_sdp")
    try:
        parsed = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception:
        raise ValidationError("sdp could not be parsed", code="invalid_sdp") from None
    kinds = [m.kind for m in parsed.media if m.kind in ("audio", "video")]
    if not kinds:
        raise ValidationError("the offer has no audio or video section", code="invalid_sdp")
    offer = Offer(sdp=sdp, type="offer")
    offer.kinds = kinds
    return offer


class Peer:
    """One client's peer connection; calls ``on_ended(peer, reason)`` once when it goes away."""

    role = "peer"

    def __init__(
        self,
        source: MediaSource,
        config: RTCConfiguration,
        on_ended: EndedCallback | None,
        tasks: TaskGroup | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.source = source
        self.pc = RTCPeerConnection(config)
        self.on_ended = on_ended
        self.closed = False
        self.created_at = time.monotonic()
        self.tasks = tasks if tasks is not None else TaskGroup(f"media/{self.role}")
        self.pc.on("connectionstatechange", self._state_changed)

    def _spawn(self, coro: Awaitable[None]) -> None:
        if not self.tasks.closed:
            self.tasks.spawn(coro, name=f"{self.role}:{self.id}")

    async def _state_changed(self) -> None:
        state = self.pc.connectionState
        log.debug(
            "%s %s room=%s source=%s state=%s",
            self.role,
            self.id,
            self.source.room_id,
            self.source.name,
            state,
        )
        if state in ("failed", "closed") and not self.closed:
            self._spawn(self.close(f"connection {state}"))

    async def close(self, reason: str = "closed") -> None:
        """Close the peer connection and end owned tasks; idempotent."""
        if self.closed:
            return
        self.closed = True
        self.tasks.cancel()  # not the task running this close, when it is one of them
        await self._before_close()
        await self.pc.close()
        log.info(
            "%s %s closed room=%s source=%s reason=%s",
            self.role,
            self.id,
            self.source.room_id,
            self.source.name,
            reason,
        )
        if self.on_ended is not None:
            await self.on_ended(self, reason)

    async def _before_close(self) -> None:
        return None

    async def _answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        try:
            await self.pc.setRemoteDescription(offer)
            answer = await self.pc.createAnswer()
            await self.pc.setLocalDescription(answer)
        except Exception as exc:
            await self.close("negotiation failed")
            raise ValidationError(f"cannot answer this offer: {exc}", code="negotiation_failed") from None
        return self.pc.localDescription


class PublisherPeer(Peer):
    """Receives a client's camera/microphone and feeds the named source; never decodes."""

    role = "publisher"

    def __init__(
        self,
        source: MediaSource,
        config: RTCConfiguration,
        on_ended: EndedCallback | None,
        *,
        user_id: int,
        rtp_timeout: float = 5.0,
        on_live: Callable[[PublisherPeer], Awaitable[None]] | None = None,
        tasks: TaskGroup | None = None,
    ) -> None:
        super().__init__(source, config, on_ended, tasks)
        self.user_id = user_id
        self.rtp_timeout = rtp_timeout
        self.on_live = on_live
        self.receivers: dict[str, RTCRtpReceiver] = {}
        self.nack_counters: list[aiortc_hooks.NackCounter] = []
        self.attached: set[str] = set()
        self.last_frame_at: float | None = None
        self.broken: set[str] = set()  # kinds that lost a frame for good: dropped until a keyframe
        self.frames_given_up = 0

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        self.pc.on("track", self._on_track)
        answer = await self._answer(offer)
        self._spawn(self._watchdog())
        return answer

    def _on_track(self, track: MediaStreamTrack) -> None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track:
                receiver = transceiver.receiver
                kind = track.kind
                enc = self.source.video if kind == "video" else self.source.audio
                self.receivers[kind] = receiver
                if kind == "video":  # aiortc NACKs video only
                    counter = aiortc_hooks.NackCounter(receiver)
                    self.nack_counters.append(counter)
                    self._spawn(counter.repeat())
                aiortc_hooks.tap_receiver(
                    receiver,
                    functools.partial(self._on_frame, enc, receiver),
                    functools.partial(self._on_gap, enc),
                )

    def _on_frame(
        self, enc: EncodedSource, receiver: RTCRtpReceiver, codec: RTCRtpCodecParameters, frame: JitterFrame
    ) -> None:
        mime = codec.mimeType
        if mime.lower() not in FORWARDABLE or self.closed:
            return
        if enc.kind not in self.attached or enc.codec != mime:
            enc.attach(mime, lambda: aiortc_hooks.send_pli(receiver))
            first = not self.attached
            self.attached.add(enc.kind)
            self.source.publisher_user_id = self.user_id
            self.source.owner = self
            if first and self.on_live is not None:
                self._spawn(self.on_live(self))
        clock = 48000 if enc.kind == "audio" else 90000
        self.last_frame_at = time.monotonic()
        keyframe = is_keyframe(mime, frame.data)
        if enc.kind in self.broken:
            if not keyframe:
                return  # it refers to the frame that was lost: viewers would decode garbage
            self.broken.discard(enc.kind)
        tid, sync = _temporal_layer(mime, frame)
        enc.push(make_packet(frame.data, frame.timestamp, Fraction(1, clock)), keyframe, tid, sync)

    def _on_gap(self, enc: EncodedSource) -> None:
        """A lost packet was given up: its frame is gone, so is every frame until the next keyframe."""
        self.frames_given_up += 1
        self.broken.add(enc.kind)
        enc.request_keyframe()

    async def _watchdog(self) -> None:
        """End the publication when no media arrives for ``rtp_timeout`` seconds."""
        while not self.closed:
            await asyncio.sleep(min(1.0, self.rtp_timeout / 2))
            since = self.last_frame_at or self.created_at
            if time.monotonic() - since > self.rtp_timeout:
                self._spawn(self.close("rtp timeout"))
                return

    def stats(self) -> dict[str, int]:
        """Packets received and lost; NACKed sequence numbers and the RTX packets that answered them."""
        received = lost = 0
        for receiver in self.receivers.values():
            _, r, lo = aiortc_hooks.receive_counts(receiver)
            received += r
            lost += lo
        return {
            "packets_received": received,
            "packets_lost": lost,
            "nacked": sum(c.nacked for c in self.nack_counters),
            "rtx_received": sum(c.rtx_received for c in self.nack_counters),
            "frames_given_up": self.frames_given_up,
        }

    async def _before_close(self) -> None:
        if self.source.owner is self:
            for kind in self.attached:
                (self.source.video if kind == "video" else self.source.audio).detach()
            self.source.owner = None
            self.source.publisher_user_id = None


def _temporal_layer(mime: str, frame: JitterFrame) -> tuple[int | None, bool]:
    """A VP8 frame's temporal layer and layer-sync bit from its first packet's descriptor."""
    if mime.lower() != "video/vp8" or not isinstance(frame, aiortc_hooks.FirstPacketFrame):
        return None, False
    try:
        descriptor = vp8.parse(frame.first_payload)
    except ValueError:
        return None, False
    return descriptor.tid, descriptor.sync


class ViewerPeer(Peer):
    """Sends one source to one client: forwarded packets, per-viewer packetization and NACK history."""

    role = "viewer"

    def __init__(
        self,
        source: MediaSource,
        config: RTCConfiguration,
        on_ended: EndedCallback | None,
        *,
        user_id: int,
        tasks: TaskGroup | None = None,
    ) -> None:
        super().__init__(source, config, on_ended, tasks)
        self.user_id = user_id
        self.tracks: list[ForwardTrack] = []
        self.layer_pin: int | None = None  # a moderator's temporal layer for this viewer

    async def answer(self, offer: Offer) -> RTCSessionDescription:
        for kind in dict.fromkeys(offer.kinds):
            enc = self.source.video if kind == "video" else self.source.audio
            track = ForwardTrack(enc.subscribe())
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            codec = enc.codec or DEFAULT_CODECS[kind]
            pin_codec(transceiver, codec)
            if enc.codec is None:
                enc.codec = codec  # the first publisher must match what viewers negotiated
            track.bind(transceiver.sender)
            self.tracks.append(track)
        return await self._answer(offer)

    def pin_layer(self, viewer: int | None, room: int | None) -> None:
        """A moderator's temporal layer for this viewer and for its room (None: its own estimate)."""
        self.layer_pin = viewer
        for track in self.tracks:
            track.set_pins(viewer, room)

    async def _before_close(self) -> None:
        for track in self.tracks:
            track.stop()
