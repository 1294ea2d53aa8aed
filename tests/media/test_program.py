"""The program feed switcher: cut at the new venue's keyframe, old venue until then, continuity, slate."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from fractions import Fraction

import av
import pytest
from aiortc import RTCPeerConnection

from media import slate
from media.forward import ForwardTrack
from media.program import ProgramPlane
from media.registry import MediaSource, SourceRegistry
from media.source import EncodedFrame, FrameReader, make_packet
from tests.support.layered_vp8 import LayeredFrame
from tests.support.layered_vp8 import load as load_layered

VIDEO_TB = Fraction(1, 90000)
AUDIO_TB = Fraction(1, 48000)


@pytest.fixture(scope="module")
def vp8_slate() -> slate.Slate:
    return slate.encode("video/VP8")


def venue(registry: SourceRegistry, name: str, codec: str = "video/VP8") -> MediaSource:
    src = registry.ensure("r1", f"venue:{name}")
    src.video.attach(codec, None)
    src.audio.attach("audio/opus", None)
    return src


def push(src: MediaSource, tag: bytes, pts: int, keyframe: bool = False) -> None:
    src.video.push(make_packet(b"V" + tag, pts, VIDEO_TB), keyframe)
    src.audio.push(make_packet(b"A" + tag, pts // 90 * 48, AUDIO_TB), False)


def drain(sub: FrameReader) -> list[EncodedFrame]:
    frames = list(sub.frames)
    sub.frames.clear()
    return frames


async def test_cut_waits_for_the_keyframe_forwarding_the_old_venue_and_switches_both_tracks(
    vp8_slate: slate.Slate,
) -> None:
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    a, b = venue(registry, "a"), venue(registry, "b")
    requests: list[str] = []

    async def ask_b() -> None:
        requests.append("b")

    b.video.attach("video/VP8", ask_b)
    program = plane.switcher("r1").output
    video, audio = program.video.subscribe(), program.audio.subscribe()

    cut_a = asyncio.ensure_future(plane.cut("r1", "a", epoch=1))
    await asyncio.sleep(0)
    push(a, b"a0", 1000)  # not a keyframe: dropped, the program waits for one
    push(a, b"a1", 4000, keyframe=True)
    push(a, b"a2", 7000)
    assert (await cut_a).switched
    assert [bytes(f.packet) for f in drain(video)] == [b"Va1", b"Va2"]
    assert [bytes(f.packet) for f in drain(audio)] == [b"Aa1", b"Aa2"]

    cut_b = asyncio.ensure_future(plane.cut("r1", "b", epoch=2))
    for _ in range(3):  # the cut task runs, then the keyframe request task it started
        await asyncio.sleep(0)
    assert requests == ["b"]  # asked for a keyframe at once
    push(b, b"b0", 900_000)  # b's delta frame: dropped
    push(a, b"a3", 10000)  # a still on air meanwhile
    push(b, b"b1", 903_000, keyframe=True)  # the cut happens here, video and audio together
    push(a, b"a4", 13000)  # a is off air
    push(b, b"b2", 906_000)
    result = await cut_b
    assert result.switched and 0 <= result.seconds < 1
    vframes = drain(video)
    assert [bytes(f.packet) for f in vframes] == [b"Va3", b"Vb1", b"Vb2"]
    assert [bytes(f.packet) for f in drain(audio)] == [b"Aa3", b"Ab1", b"Ab2"]
    # pts continue on the program's own timeline: one interval across the cut, b's deltas after
    assert [f.packet.pts for f in vframes] == [6000, 9000, 12000]
    assert vframes[1].keyframe
    plane.close()


async def test_a_shared_screen_is_cut_to_at_its_keyframe_like_a_venue(vp8_slate: slate.Slate) -> None:
    """A program target ``screen:<user_id>`` names the source itself (a venue id names ``venue:<id>``)."""
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    heard: list[tuple[str, str, bool]] = []

    async def listener(room_id: str, target: str, live: bool) -> None:
        heard.append((room_id, target, live))

    plane.add_venue_listener(listener)
    a = venue(registry, "a")
    screen = registry.ensure("r1", "screen:7")
    screen.video.attach("video/VP8", None)
    screen.audio.attach("audio/opus", None)
    push(screen, b"s0", 1000, keyframe=True)
    assert plane.venue_is_live("r1", "screen:7") and plane.unfit_reason("r1", "screen:7") is None
    await registry.notify("r1", "screen:7", True)
    assert heard == [("r1", "screen:7", True)]  # the controller hears of it by its target
    assert "r1" in plane.rooms()  # a room with a shared screen has its program feed
    video = plane.switcher("r1").output.video.subscribe()

    cut_a = asyncio.ensure_future(plane.cut("r1", "a", epoch=1))
    await asyncio.sleep(0)
    push(a, b"a1", 4000, keyframe=True)
    assert (await cut_a).switched
    cut_s = asyncio.ensure_future(plane.cut("r1", "screen:7", epoch=2))
    await asyncio.sleep(0)
    push(screen, b"s1", 4000)  # a delta frame of the screen: a stays on air
    push(a, b"a2", 7000)
    push(screen, b"s2", 7000, keyframe=True)
    push(screen, b"s3", 10000)
    assert (await cut_s).switched
    assert [bytes(f.packet) for f in drain(video)] == [b"Va1", b"Va2", b"Vs2", b"Vs3"]
    plane.close()


async def test_a_cut_without_a_keyframe_in_time_keeps_the_old_venue(vp8_slate: slate.Slate) -> None:
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=0.2)
    a, b = venue(registry, "a"), venue(registry, "b")
    video = plane.switcher("r1").output.video.subscribe()
    cut_a = asyncio.ensure_future(plane.cut("r1", "a", epoch=1))
    await asyncio.sleep(0)
    push(a, b"a0", 0, keyframe=True)
    assert (await cut_a).switched
    result = await plane.cut("r1", "b", epoch=2)  # b sends only delta frames meanwhile
    assert not result.switched
    push(b, b"b0", 0, keyframe=True)  # too late: the cut was abandoned
    push(a, b"a1", 3000)
    assert [bytes(f.packet) for f in drain(video)] == [b"Va0", b"Va1"]
    plane.close()


async def test_a_first_cut_that_times_out_still_goes_on_air_at_the_venues_first_keyframe(
    vp8_slate: slate.Slate,
) -> None:
    """Nothing was on air to keep: the program must not stay empty until the next command."""
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=0.2)
    a = venue(registry, "a")
    video = plane.switcher("r1").output.video.subscribe()
    push(a, b"a0", 0)  # live, but only delta frames: the keyframe is late
    result = await plane.cut("r1", "a", epoch=1)
    assert not result.switched
    push(a, b"a1", 3000, keyframe=True)
    push(a, b"a2", 6000)
    assert [bytes(f.packet) for f in drain(video)] == [b"Va1", b"Va2"]
    plane.close()


async def test_superseded_and_stale_cuts(vp8_slate: slate.Slate) -> None:
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    a, b = venue(registry, "a"), venue(registry, "b")
    video = plane.switcher("r1").output.video.subscribe()
    first = asyncio.ensure_future(plane.cut("r1", "a", epoch=3))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(plane.cut("r1", "b", epoch=4))
    await asyncio.sleep(0)
    assert not (await first).switched  # superseded before a's keyframe came
    push(a, b"a0", 0, keyframe=True)
    push(b, b"b0", 0, keyframe=True)
    assert (await second).switched
    assert not (await plane.cut("r1", "a", epoch=2)).switched  # older epoch: ignored
    push(a, b"a1", 3000, keyframe=True)
    assert [bytes(f.packet) for f in drain(video)] == [b"Vb0"]
    plane.close()


async def test_slate_repeats_one_encoded_keyframe_and_codec_mismatch_is_reported(
    vp8_slate: slate.Slate,
) -> None:
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    venue(registry, "h", codec="video/H264")
    assert plane.venue_is_live("r1", "h")
    assert "video/H264" in (plane.unfit_reason("r1", "h") or "")
    video = plane.switcher("r1").output.video.subscribe()
    assert (await plane.cut("r1", None, epoch=1)).switched
    frames = [await asyncio.wait_for(video.get(), 2) for _ in range(3)]
    assert all(f.keyframe and bytes(f.packet) == vp8_slate.data for f in frames)
    pts = [f.packet.pts for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == 3
    plane.close()


async def test_the_slate_keeps_the_audio_flowing_with_one_encoded_silent_opus_packet(
    vp8_slate: slate.Slate,
) -> None:
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    a = venue(registry, "a")
    program = plane.switcher("r1").output
    audio = program.audio.subscribe()
    cut = asyncio.ensure_future(plane.cut("r1", "a", epoch=1))
    await asyncio.sleep(0)
    push(a, b"a0", 90000, keyframe=True)
    assert (await cut).switched
    assert (await plane.cut("r1", None, epoch=2)).switched  # the venue is gone: the slate
    frames = [await asyncio.wait_for(audio.get(), 2) for _ in range(11)]
    assert bytes(frames[0].packet) == b"Aa0"
    silence = frames[1:]
    assert all(bytes(f.packet) == vp8_slate.audio for f in silence)
    pts = [f.packet.pts for f in frames]
    assert all(b - a == 960 for a, b in itertools.pairwise(pts)), pts  # 20 ms apart, even across the cut
    decoder = av.CodecContext.create("opus", "r")
    decoded = [x for f in silence for x in decoder.decode(av.Packet(bytes(f.packet)))]
    assert len(decoded) == 10 and all(x.samples == 960 and not x.to_ndarray().any() for x in decoded)
    plane.close()


def test_slate_decodes_to_the_dark_background() -> None:
    for codec, decoder in (("video/VP8", "libvpx"), ("video/H264", "h264")):
        s = slate.encode(codec)
        ctx = av.CodecContext.create(decoder, "r")
        frames = ctx.decode(av.Packet(s.data))
        assert frames and frames[0].width == 640
        r, g, b = frames[0].to_image().getpixel((5, 5))
        assert abs(r - 24) < 8 and abs(g - 32) < 8 and abs(b - 48) < 8


async def test_a_hand_off_between_layered_venues_keeps_each_observers_layer(vp8_slate: slate.Slate) -> None:
    """Two venues publishing VP8 L1T3 (Chromium's recorded frames); one observer pinned to layer 0, one on the
    top layer. The program carries each frame's layer, so across the cut each observer keeps its own."""
    frames = load_layered()
    registry = SourceRegistry(keyframe_interval=0.0)
    plane = ProgramPlane(registry, codec="video/VP8", slate=lambda: vp8_slate, cut_timeout=2.0)
    a, b = venue(registry, "a"), venue(registry, "b")
    program = plane.switcher("r1").output
    pc = RTCPeerConnection()
    observers = []
    for layer in (0, 2):
        track = ForwardTrack(program.video.subscribe(maxsize=len(frames) * 2))  # read after the feed
        track.bind(pc.addTransceiver(track, direction="sendonly").sender)
        track.set_pins(layer, None)
        observers.append(track)

    def feed(src: MediaSource, part: list[LayeredFrame], offset: int) -> None:
        for f in part:
            src.video.push(make_packet(f.data, f.timestamp + offset, VIDEO_TB), f.keyframe, f.tid, f.sync)

    cut = asyncio.ensure_future(plane.cut("r1", "a", epoch=1))
    await asyncio.sleep(0)
    feed(a, frames[:40], 0)
    assert (await cut).switched
    cut = asyncio.ensure_future(plane.cut("r1", "b", epoch=2))
    for _ in range(3):
        await asyncio.sleep(0)
    feed(b, frames, 900_000)  # b's first frame is its keyframe: the cut
    assert (await cut).switched

    async def sent(track: ForwardTrack) -> list[tuple[int | None, bool]]:
        got = []
        with contextlib.suppress(TimeoutError):
            while True:
                frame = await asyncio.wait_for(track.recv(), 0.2)
                got.append((frame.tid, frame.keyframe))
        return got

    thin, top = await sent(observers[0]), await sent(observers[1])
    layer0 = [f for f in frames if f.tid == 0]
    assert thin == [(0, f.keyframe) for f in layer0[: len([f for f in frames[:40] if f.tid == 0])] + layer0]
    assert top == [(f.tid, f.keyframe) for f in frames[:40] + frames]  # every layer, both venues
    assert [(t.layers.current, t.layers.switches) for t in observers] == [
        (0, 1),
        (2, 0),
    ]  # no switch at the cut
    await pc.close()
