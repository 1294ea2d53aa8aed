"""Loud failures when an aiortc/aioice upgrade moves an internal that media/aiortc_hooks.py relies on."""

from __future__ import annotations

import asyncio
import fractions
import hashlib
import inspect
import socket
import time
from unittest import mock

import aioice.ice
import aiortc
import av
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, rtcrtpsender
from aiortc.codecs import depayload
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
    RTCRtpRtxParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack

from media import aiortc_hooks, vp8
from media.source import EncodedFrame, make_packet
from tests.support.coturn import free_port

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


class OnePacket(MediaStreamTrack):
    kind = "video"

    def __init__(self, packet: av.Packet) -> None:
        super().__init__()
        self.packet = packet

    async def recv(self) -> av.Packet:  # type: ignore[override]
        return self.packet


def test_pinned_versions() -> None:
    assert aiortc.__version__.startswith("1.16."), "re-check media/aiortc_hooks.py against this aiortc"


async def test_sender_packs_forwarded_packets_without_creating_an_encoder() -> None:
    pc = RTCPeerConnection()
    packet = make_packet(b"\x10\x02\x00\x9d\x01\x2a" + b"x" * 3000, 9000, fractions.Fraction(1, 90000))
    sender = pc.addTransceiver(OnePacket(packet), direction="sendonly").sender
    packer = aiortc_hooks.install_packer(sender, "video/VP8")
    assert aiortc_hooks.sender_encoder(sender) is packer
    with mock.patch.object(rtcrtpsender, "get_encoder", side_effect=AssertionError("encoder created")):
        encoded = await sender._next_encoded_frame(VP8)
    assert encoded is not None
    assert encoded.timestamp == 9000
    assert len(encoded.payloads) == 3  # 3 kB split into MTU-sized VP8 payloads
    with pytest.raises(RuntimeError):
        packer.encode(av.VideoFrame(16, 16, "yuv420p"))
    await pc.close()


def test_packer_matches_aiortc_packetization() -> None:
    data = b"\x10\x02\x00" + bytes(range(256)) * 10
    packet = make_packet(data, 3000, fractions.Fraction(1, 90000))
    ours = aiortc_hooks.Packer("video/VP8")
    theirs = Vp8Encoder()
    theirs.picture_id = ours.picture_id
    assert ours.pack(packet) == theirs.pack(packet)
    h264 = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x65" + b"\x88" * 2000
    hp = make_packet(h264, 3000, fractions.Fraction(1, 90000))
    assert aiortc_hooks.Packer("video/H264").pack(hp) == H264Encoder().pack(hp)
    opus = make_packet(b"\xfc\x01\x02", 960, fractions.Fraction(1, 48000))
    assert aiortc_hooks.Packer("audio/opus").pack(opus) == ([b"\xfc\x01\x02"], 960)
    with pytest.raises(ValueError):
        aiortc_hooks.Packer("audio/PCMU")


async def test_viewer_keyframe_request_reaches_our_callback() -> None:
    pc = RTCPeerConnection()
    sender = pc.addTransceiver("video", direction="sendonly").sender
    calls: list[int] = []
    aiortc_hooks.on_keyframe_request(sender, lambda: calls.append(1))
    pli = aiortc.rtp.RtcpPsfbPacket(fmt=aiortc.rtp.RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
    await sender._handle_rtcp_packet(pli)
    assert calls == [1]
    await pc.close()


class Frames(MediaStreamTrack):
    """Yields the given frames, then ends."""

    kind = "video"

    def __init__(self, frames: list[EncodedFrame]) -> None:
        super().__init__()
        self.frames = frames

    async def recv(self) -> EncodedFrame:  # type: ignore[override]
        if not self.frames:
            raise MediaStreamError
        return self.frames.pop(0)


async def test_forwarder_sends_shared_payloads_and_answers_nacks_from_its_history() -> None:
    data = [b"\x10\x02\x00" + bytes(range(256)) * 10, b"\x11\x02\x00" + b"d" * 900]
    frames = [EncodedFrame(make_packet(d, 3000 * i, fractions.Fraction(1, 90000)), i == 0, 0.0, 40 + i)
              for i, d in enumerate(data)]  # fmt: skip
    pcs = [RTCPeerConnection() for _ in range(2)]  # two viewers (each its own transport)
    senders = [pc.addTransceiver(Frames(list(frames)), direction="sendonly").sender for pc in pcs]
    forwarders = [aiortc_hooks.install_forwarder(s, "video/VP8") for s in senders]
    wire: dict[int, list[bytes]] = {0: [], 1: []}
    for k, sender in enumerate(senders):

        async def send_rtp(packet: bytes, k: int = k) -> None:
            wire[k].append(packet)

        mock.patch.object(sender.transport, "_send_rtp", send_rtp).start()
        await sender._run_rtp(VP8)  # the replaced loop: runs until the track ends
        assert sender._RTCRtpSender__rtp_exited.is_set()  # type: ignore[attr-defined]

    packets = [aiortc.rtp.RtpPacket.parse(w) for w in wire[0]]
    for k, forwarder in enumerate(forwarders):  # each viewer its own picture ids, one per frame sent
        got = [vp8.parse(aiortc.rtp.RtpPacket.parse(w).payload) for w in wire[k]]
        start = got[0].picture_id
        assert [(d.start, d.picture_id, d.tid) for d in got] == [(True, start, None), (False, start, None),
                                                                 (True, (start + 1) % 32768, None)]  # fmt: skip
        assert forwarder.numbering.picture_id == (start + 2) % 32768
    chunks = [p.payload[vp8.parse(p.payload).size :] for p in packets]
    assert [b"".join(chunks[:2]), chunks[2]] == data  # the frames, cut in two and one packets
    assert [vp8_depayload(p.payload) for p in packets] == chunks  # aiortc's depayloader agrees
    assert [p.marker for p in packets] == [0, 1, 1]
    assert len({p.timestamp for p in packets}) == 2 and {p.ssrc for p in packets} == {senders[0]._ssrc}
    assert [(p.sequence_number - packets[0].sequence_number) % 65536 for p in packets] == [0, 1, 2]
    assert all(p.serialize() == w for p, w in zip(packets, wire[0], strict=True))  # aiortc's own bytes
    other = [aiortc.rtp.RtpPacket.parse(w).payload for w in wire[1]]
    assert [p[vp8.parse(p).size :] for p in other] == chunks  # the same chunks, its own descriptors
    assert frames[0].shared["video/vp8"] == (chunks[:2], 0)  # packed once, kept for the other viewer
    assert senders[0]._RTCRtpSender__packet_count == 3  # type: ignore[attr-defined]  # for RTCP SR

    sender, forwarder = senders[0], forwarders[0]
    lost = packets[0].sequence_number
    nack = aiortc.rtp.RtcpRtpfbPacket(fmt=aiortc.rtp.RTCP_RTPFB_NACK, ssrc=1, media_ssrc=sender._ssrc)
    nack.lost = [lost, (lost + 1000) % 65536]  # the second was never sent: nothing to resend
    await sender._handle_rtcp_packet(nack)
    assert wire[0][3:] == [wire[0][0]] and forwarder.retransmits == 1
    assert forwarder.nacked == 2  # both were asked for; one was never sent
    sender._RTCRtpSender__rtx_payload_type = 98  # type: ignore[attr-defined]  # RTX negotiated
    await sender._handle_rtcp_packet(nack)
    rtx = aiortc.rtp.RtpPacket.parse(wire[0][4])
    assert (rtx.payload_type, rtx.ssrc, rtx.timestamp) == (98, sender._rtx_ssrc, packets[0].timestamp)
    original = aiortc.rtp.unwrap_rtx(rtx, payload_type=97, ssrc=sender._ssrc)
    assert (original.sequence_number, original.payload) == (lost, packets[0].payload)
    assert forwarder.retransmits == 2
    mock.patch.stopall()
    for pc in pcs:
        await pc.close()


async def test_forwarder_refuses_a_sender_without_its_internals_or_already_sending() -> None:
    with pytest.raises(RuntimeError, match="aiortc changed"):
        aiortc_hooks.RtpForwarder(object(), aiortc_hooks.Packer("video/VP8"))  # type: ignore[arg-type]
    pc = RTCPeerConnection()
    sender = pc.addTransceiver("video", direction="sendonly").sender
    sender._RTCRtpSender__started = True  # type: ignore[attr-defined]  # aiortc's loop already runs
    with pytest.raises(RuntimeError, match="before the sender starts"):
        aiortc_hooks.install_forwarder(sender, "video/VP8")
    sender._RTCRtpSender__started = False  # type: ignore[attr-defined]  # else stop() waits for its tasks
    await pc.close()


async def test_receiver_tap_replaces_the_decoder_queue_before_receive() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("audio", direction="recvonly").receiver
    got: list[tuple[str, bytes, int]] = []
    aiortc_hooks.tap_receiver(receiver, lambda c, f: got.append((c.mimeType, f.data, f.timestamp)))
    q = receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
    q.put((OPUS, JitterFrame(data=b"\xfc", timestamp=960)))
    assert got == [("audio/opus", b"\xfc", 960)]
    q.put(None)  # end of stream still reaches the decoder thread's queue
    assert q.get_nowait() is None
    assert aiortc_hooks.receive_counts(receiver) == (None, 0, 0)
    assert callable(receiver._send_rtcp_pli)
    await pc.close()


def wire_packets(
    codec: RTCRtpCodecParameters, payloads: list[bytes], first_seq: int, timestamp: int, marker: bool = True
) -> list[aiortc.rtp.RtpPacket]:
    """RTP packets as the receiver holds them: parsed from wire bytes, payload depayloaded into ``_data``."""
    out = []
    for i, payload in enumerate(payloads):
        packet = aiortc.rtp.RtpPacket(
            payload_type=codec.payloadType, sequence_number=first_seq + i, timestamp=timestamp
        )
        packet.marker = int(marker and i == len(payloads) - 1)
        packet.payload = payload
        parsed = aiortc.rtp.RtpPacket.parse(packet.serialize())
        parsed._data = depayload(codec, parsed.payload)  # type: ignore[attr-defined]
        out.append(parsed)
    return out


def test_video_frame_leaves_with_its_marker_packet_not_with_the_next_frame() -> None:
    frame_a = bytes([0x10, 0x02, 0x00]) + bytes(range(256)) * 12  # a 3 kB VP8 frame -> 3 packets
    frame_b = bytes([0x11, 0x02, 0x00]) + b"b" * 2000
    a = wire_packets(VP8, Vp8Encoder._packetize(frame_a, 5), 100, 3000)
    b = wire_packets(VP8, Vp8Encoder._packetize(frame_b, 6), 100 + len(a), 6000)
    assert len(a) == 3 and a[-1].marker and not a[0].marker

    ours = aiortc_hooks.CompleteFrameBuffer(128, video=True)
    stock = JitterBuffer(128, is_video=True)
    assert [ours.add(p)[1] for p in a[:-1]] == [None, None]
    frame = ours.add(a[-1])[1]
    assert frame is not None and (frame.data, frame.timestamp) == (frame_a, 3000)
    for p in a:
        assert stock.add(p)[1] is None  # aiortc 1.16 waits for the next frame's first packet
    late = stock.add(b[0])[1]
    assert late is not None and late.data == frame_a, "aiortc's jitter buffer changed: re-check"

    # out of order with a hole: nothing leaves until the missing packet (e.g. a retransmission) is in
    assert ours.add(b[1])[1] is None
    frame = ours.add(b[0])[1]
    assert frame is not None and (frame.data, frame.timestamp) == (frame_b, 6000)


def test_frame_without_marker_completes_on_the_next_timestamp_and_audio_per_packet() -> None:
    video = aiortc_hooks.CompleteFrameBuffer(128, video=True)
    c = wire_packets(VP8, Vp8Encoder._packetize(b"\x10\x02\x00" + b"c" * 1500, 1), 7, 9000, marker=False)
    d = wire_packets(VP8, Vp8Encoder._packetize(b"\x11\x02\x00" + b"d" * 100, 2), 7 + len(c), 12000)
    assert [video.add(p)[1] for p in c] == [None] * len(c)
    frame = video.add(d[0])[1]
    assert frame is not None and frame.timestamp == 9000 and frame.data.endswith(b"c" * 100)

    audio = aiortc_hooks.CompleteFrameBuffer(16, video=False)
    opus = [wire_packets(OPUS, [bytes([0xFC, i])], 50 + i, 960 * i, marker=False)[0] for i in range(3)]
    released = [audio.add(p)[1] for p in opus]
    assert [(f.data, f.timestamp) for f in released if f] == [(bytes([0xFC, i]), 960 * i) for i in range(3)]


async def test_tap_receiver_installs_the_complete_frame_buffer() -> None:
    pc = RTCPeerConnection()
    for kind, video, capacity in (("video", True, 512), ("audio", False, 16)):
        receiver = pc.addTransceiver(kind, direction="recvonly").receiver
        aiortc_hooks.tap_receiver(receiver, lambda c, f: None)
        buffer = receiver._RTCRtpReceiver__jitter_buffer  # type: ignore[attr-defined]
        assert isinstance(buffer, aiortc_hooks.CompleteFrameBuffer)
        assert (buffer.video, buffer.capacity) == (video, capacity)
    await pc.close()


def test_loopback_candidates_switch() -> None:
    aiortc_hooks.use_loopback_candidates(True)
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    aiortc_hooks.use_loopback_candidates(False)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)


async def test_nack_counter_sees_the_receivers_nacks_and_the_rtx_that_answers_them() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    counter = aiortc_hooks.NackCounter(receiver)
    rtcp: list[object] = []

    async def capture(packet: object) -> None:
        rtcp.append(packet)

    receiver._send_rtcp = capture  # type: ignore[method-assign]
    receiver._set_rtcp_ssrc(1234)
    receiver._track = RemoteStreamTrack(kind="video")  # what setRemoteDescription would create
    aiortc_hooks.tap_receiver(receiver, lambda c, f: None)
    rtx = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=98, parameters={"apt": 97})
    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[VP8, rtx],
            encodings=[
                RTCRtpDecodingParameters(ssrc=1111, payloadType=97, rtx=RTCRtpRtxParameters(ssrc=2222))
            ],
        )
    )
    frame = bytes([0x10, 0x02, 0x00]) + b"v" * 3000
    packets = wire_packets(VP8, Vp8Encoder._packetize(frame, 1), 500, 3000)
    for p in packets:
        p.ssrc = 1111
    await receiver._handle_rtp_packet(packets[0], 0)
    await receiver._handle_rtp_packet(packets[2], 0)  # 501 is missing: aiortc NACKs it
    nacks = [p for p in rtcp if isinstance(p, aiortc.rtp.RtcpRtpfbPacket)]
    assert [n.lost for n in nacks] == [[501]] and (counter.nacks, counter.nacked) == (1, 1)
    resent = aiortc.rtp.wrap_rtx(packets[1], payload_type=98, sequence_number=1, ssrc=2222)
    await receiver._handle_rtp_packet(aiortc.rtp.RtpPacket.parse(resent.serialize()), 0)
    assert counter.rtx_received == 1
    assert aiortc_hooks.receive_counts(receiver)[0] == 1111  # the media SSRC, not the RTX one
    with pytest.raises(RuntimeError, match="aiortc changed"):
        aiortc_hooks.NackCounter(object())  # type: ignore[arg-type]
    await receiver.stop()
    await pc.close()


def test_audio_never_waits_for_a_lost_packet() -> None:
    """Opus is not NACKed: a hole must not hold the following packets (aiortc's buffer would wait
    until 16 packets pile up, then keep 300 ms of audio queued for good)."""
    audio = aiortc_hooks.CompleteFrameBuffer(16, video=False)
    opus = [wire_packets(OPUS, [bytes([0xFC, i])], 50 + i, 960 * i, marker=False)[0] for i in range(40)]
    released = []
    for i, p in enumerate(opus):
        if i % 7 == 3:
            continue  # lost
        frame = audio.add(p)[1]
        assert frame is not None, f"packet {i} was held back"
        released.append(frame.timestamp)
    assert released == [960 * i for i in range(40) if i % 7 != 3]
    assert audio.add(opus[3])[1] is None  # a late packet is dropped, never sent out of order


def test_a_video_hole_nobody_fills_is_given_up_at_the_next_frame_boundary() -> None:
    now = [0.0]
    gaps: list[int] = []
    video = aiortc_hooks.CompleteFrameBuffer(
        512, video=True, on_gap=lambda: gaps.append(1), clock=lambda: now[0]
    )
    frames = [bytes([0x10 if i == 0 else 0x11, 0x02, 0x00]) + bytes([i]) * 2500 for i in range(6)]
    packets = []
    for i, data in enumerate(frames):
        packets.append(wire_packets(VP8, Vp8Encoder._packetize(data, i), 100 + 2 * i, 3000 * i))
    assert all(len(p) == 2 for p in packets)
    out = [video.add(p)[1] for p in packets[0]]
    assert out[1] is not None and out[1].timestamp == 0
    video.add(packets[1][0])  # frame 1 loses its second packet for good
    for p in packets[2]:
        now[0] += 0.1
        assert video.add(p)[1] is None  # waiting for the retransmission
    assert gaps == []
    now[0] += aiortc_hooks.HOLE_TIMEOUT
    # given up: the lost packet was frame 1's marker, so the first boundary the buffer can see is
    # frame 2's marker; frames 1 and 2 are dropped (the consumer waits for a keyframe anyway)
    assert video.add(packets[3][0])[1] is None
    assert gaps == [1] and video.gaps == 1
    frame = video.add(packets[3][1])[1]
    assert frame is not None and frame.timestamp == 9000 and frame.data == frames[3]  # and on from there
    frame = video.add(packets[4][1])[1]  # a later hole waits again (until its own timeout)
    assert frame is None and gaps == [1]


async def test_nack_counter_repeats_what_is_still_missing_until_it_gives_up() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    counter = aiortc_hooks.NackCounter(receiver)
    sent: list[tuple[int, list[int]]] = []

    async def send(ssrc: int, lost: list[int]) -> None:
        sent.append((ssrc, lost))

    counter._send = send  # type: ignore[method-assign]
    generator = receiver._RTCRtpReceiver__nack_generator  # type: ignore[attr-defined]
    streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    streams[1111] = mock.Mock(packets_received=10, packets_lost=1)
    generator.missing.update({7, 8})
    task = asyncio.ensure_future(counter.repeat(interval=0.01, give_up=10))
    while not sent:
        await asyncio.sleep(0.005)
    assert sent[0] == (1111, [7, 8]) and counter.repeated >= 1
    generator.missing.discard(7)  # the retransmission came
    count = len(sent)
    while len(sent) == count:
        await asyncio.sleep(0.005)
    assert sent[-1] == (1111, [8])
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await pc.close()


# sha256 of aioice 0.13.0's Connection.get_component_candidates, which use_port_range copies: an aioice
# that changed it must be re-read and the copy in media/aiortc_hooks.py brought in step.
COMPONENT_CANDIDATES_SHA256 = "118597a9fcb703f9950c2f2964e3e44423724576eda484ba6747b1610ccf4a2f"


def test_port_range_copy_matches_the_installed_aioice() -> None:
    assert aioice.__version__ == "0.13.0", "re-check media/aiortc_hooks.py use_port_range against this aioice"
    source = inspect.getsource(aiortc_hooks._original_component_candidates)
    assert hashlib.sha256(source.encode()).hexdigest() == COMPONENT_CANDIDATES_SHA256, (
        "aioice changed Connection.get_component_candidates: update _component_candidates_in_range"
    )
    with pytest.raises(ValueError):
        aiortc_hooks.use_port_range((80, 90))  # below 1024, or upside down
    with pytest.raises(ValueError):
        aiortc_hooks.use_port_range((50010, 50000))


async def test_port_range_binds_host_sockets_inside_it_and_peers_connect() -> None:
    low = free_port()
    if low > 65535 - 8:
        low -= 8
    ports = (low, low + 7)  # two peers on loopback need two ports: eight leave room for busy ones
    aiortc_hooks.use_loopback_candidates(True)
    aiortc_hooks.use_port_range(ports)
    try:
        assert aioice.ice.Connection.get_component_candidates is aiortc_hooks._component_candidates_in_range
        a, b = RTCPeerConnection(), RTCPeerConnection()
        channel = a.createDataChannel("check")
        got: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        b.on("datachannel", lambda ch: ch.on("message", lambda m: got.done() or got.set_result(m)))
        channel.on("open", lambda: channel.send("through the range"))
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        assert await asyncio.wait_for(got, 20) == "through the range"
        for pc in (a, b):
            candidates = pc.sctp.transport.transport.iceGatherer.getLocalCandidates()  # type: ignore[union-attr]
            assert candidates and all(ports[0] <= c.port <= ports[1] for c in candidates), candidates
        await a.close()
        await b.close()
    finally:
        aiortc_hooks.use_port_range(None)
        aiortc_hooks.use_loopback_candidates(False)
    assert aioice.ice.Connection.get_component_candidates is aiortc_hooks._original_component_candidates


async def test_a_full_port_range_fails_with_a_clear_error() -> None:
    port = free_port()
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", port))
    try:
        loop = asyncio.get_running_loop()
        with pytest.raises(OSError, match=f"no free UDP port in {port}-{port}"):
            await aiortc_hooks._bind_in_range(loop, asyncio.DatagramProtocol, "127.0.0.1", port, port)
    finally:
        taken.close()


class Heard:
    """Records a forwarder's viewer feedback (:class:`aiortc_hooks.Feedback`)."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, float | None]] = []
        self.rembs: list[int] = []
        self.nacked: list[tuple[int, int]] = []

    def report(self, fraction_lost: float, rtt: float | None) -> None:
        self.reports.append((fraction_lost, rtt))

    def receiver_estimate(self, bitrate: int) -> None:
        self.rembs.append(bitrate)

    def nacks(self, count: int, packets_sent: int) -> None:
        self.nacked.append((count, packets_sent))


async def test_forwarder_hears_the_viewers_loss_rtt_nacks_and_remb_after_aiortc_handles_them() -> None:
    pc = RTCPeerConnection()
    sender = pc.addTransceiver("video", direction="sendonly").sender
    forwarder = aiortc_hooks.install_forwarder(sender, "video/VP8")
    heard = forwarder.feedback = Heard()
    # aiortc's RTT from the report's LSR/DLSR against the last sender report it sent (private state)
    sender._RTCRtpSender__lsr = 0x1234  # type: ignore[attr-defined]
    sender._RTCRtpSender__lsr_time = time.time() - 0.15  # type: ignore[attr-defined]
    report = aiortc.rtp.RtcpReceiverInfo(ssrc=sender._ssrc, fraction_lost=64, packets_lost=5,
                                         highest_sequence=1, jitter=0, lsr=0x1234, dlsr=65536 // 10)  # fmt: skip
    other = aiortc.rtp.RtcpReceiverInfo(ssrc=sender._ssrc + 1, fraction_lost=255, packets_lost=9,
                                        highest_sequence=1, jitter=0, lsr=0, dlsr=0)  # fmt: skip
    await sender._handle_rtcp_packet(aiortc.rtp.RtcpRrPacket(ssrc=1, reports=[other, report]))
    [(loss, rtt)] = heard.reports
    assert loss == 0.25 and rtt is not None and rtt >= 0.05  # 150 ms since our report, 100 ms held there
    remb = aiortc.rtp.RtcpPsfbPacket(fmt=aiortc.rtp.RTCP_PSFB_APP, ssrc=1, media_ssrc=0,
                                     fci=aiortc.rtp.pack_remb_fci(750_000, [sender._ssrc]))  # fmt: skip
    await sender._handle_rtcp_packet(remb)
    not_ours = aiortc.rtp.RtcpPsfbPacket(fmt=aiortc.rtp.RTCP_PSFB_APP, ssrc=1, media_ssrc=0,
                                         fci=aiortc.rtp.pack_remb_fci(1, [sender._ssrc + 1]))  # fmt: skip
    await sender._handle_rtcp_packet(not_ours)
    assert heard.rembs == [750_000]
    sender._RTCRtpSender__packet_count = 1234  # type: ignore[attr-defined]  # what the forwarder sent so far
    nack = aiortc.rtp.RtcpRtpfbPacket(fmt=aiortc.rtp.RTCP_RTPFB_NACK, ssrc=1, media_ssrc=sender._ssrc)
    nack.lost = [7, 8, 9]
    await sender._handle_rtcp_packet(nack)
    assert heard.nacked == [(3, 1234)] and forwarder.nacked == 3  # aiortc still hands each to retransmit
    await pc.close()


def test_complete_frames_keep_their_first_packets_payload_for_the_vp8_descriptor() -> None:
    buffer = aiortc_hooks.CompleteFrameBuffer(64, video=True)
    payloads = [bytes.fromhex("90e0862fb300") + b"\x10\x02\x00", bytes.fromhex("80e0862fb300") + b"\x01"]
    frame = None
    for i, payload in enumerate(payloads):
        packet = aiortc.rtp.RtpPacket(payload_type=96, sequence_number=10 + i, timestamp=3000, marker=i == 1)
        packet.payload = payload
        packet._data = vp8_depayload(payload)  # type: ignore[attr-defined]  # what aiortc's receiver does
        _, frame = buffer.add(packet)
    assert isinstance(frame, aiortc_hooks.FirstPacketFrame)
    assert frame.data == b"\x10\x02\x00\x01" and frame.first_payload == payloads[0]
    assert vp8.parse(frame.first_payload).tid == 0
