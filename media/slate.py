"""The slate: a still image saying the main venue's signal is interrupted, encoded ONCE into a keyframe,
and 20 ms of silence encoded ONCE into an Opus packet.

The program feed repeats the same encoded keyframe a few times a second and the same silent Opus
packet every 20 ms while the slate is on air, so observers' audio keeps flowing (browsers stall a
media element whose audio track goes quiet on the wire); nothing is encoded per viewer or per frame.
Each video repetition is an intra frame, so a viewer joining during the slate decodes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from server import fonts

if TYPE_CHECKING:  # PyAV and Pillow are imported when the first program feed needs its slate, not at start-up
    from PIL import Image

TITLE = "主会场信号中断"
SUBTITLE = "请稍候，信号恢复后将继续直播"
BACKGROUND = (24, 32, 48)  # dark blue: also how tests recognise the slate
ENCODERS = {"video/vp8": "libvpx", "video/h264": "libx264"}


AUDIO_RATE = 48000
AUDIO_FRAME = 960  # 20 ms at 48 kHz


@dataclass(frozen=True)
class Slate:
    """One encoded keyframe of the slate image, in the program's codec, and one silent Opus packet."""

    codec: str
    data: bytes
    width: int
    height: int
    audio: bytes = b""  # 20 ms of silence, Opus (48 kHz, stereo)
    fps: int = 5


def render(width: int = 640, height: int = 360) -> Image.Image:
    """The slate image (RGB), in the CJK font of :mod:`server.fonts` (Pillow's own when none is installed)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for text, size, y in ((TITLE, height // 9, height * 0.38), (SUBTITLE, height // 18, height * 0.6)):
        font = fonts.truetype(size)
        box = draw.textbbox((0, 0), text, font=font)
        x = (width - (box[2] - box[0])) / 2
        draw.text((x, y), text, fill=(240, 240, 240), font=font)
    return img


def encode(codec: str, width: int = 640, height: int = 360) -> Slate:
    """Encode the slate image into one keyframe in ``codec`` (``video/VP8`` or ``video/H264``)."""
    import av

    name = ENCODERS.get(codec.lower())
    if name is None:
        raise ValueError(f"no slate encoder for {codec}")
    ctx = av.CodecContext.create(name, "w")
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, 90000)
    ctx.framerate = Fraction(5, 1)
    ctx.bit_rate = 400_000
    if name == "libx264":  # baseline, Annex-B, what WebRTC's H.264 depacketizers expect
        ctx.options = {"profile": "baseline", "tune": "stillimage", "preset": "veryfast"}
    frame = av.VideoFrame.from_image(render(width, height)).reformat(format="yuv420p")
    frame.pts = 0
    packets = [*ctx.encode(frame), *ctx.encode(None)]
    if not packets or not packets[0].is_keyframe:
        raise RuntimeError(f"{name} produced no keyframe for the slate")
    return Slate(codec, bytes(packets[0]), width, height, audio=encode_silence())


def encode_silence() -> bytes:
    """20 ms of silence as one Opus packet (the encoder's steady state, past its look-ahead)."""
    import av

    ctx = av.CodecContext.create("libopus", "w")
    assert isinstance(ctx, av.AudioCodecContext)
    ctx.sample_rate, ctx.layout, ctx.format = AUDIO_RATE, "stereo", "s16"
    ctx.time_base = Fraction(1, AUDIO_RATE)
    ctx.bit_rate = 32_000
    packets: list[av.Packet] = []
    for i in range(3):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = AUDIO_RATE, i * AUDIO_FRAME
        packets += ctx.encode(frame)
    full = [p for p in packets if p.duration == AUDIO_FRAME]
    if not full:
        raise RuntimeError("libopus produced no packet for the slate's silence")
    return bytes(full[-1])
