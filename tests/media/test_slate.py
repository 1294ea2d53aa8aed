"""media.slate: the still image and the silence are encoded once, decode, and say what they should."""

from __future__ import annotations

import av
import pytest

from media import slate


@pytest.mark.parametrize("codec", ["video/VP8", "video/H264"])
def test_the_slate_is_one_decodable_keyframe_of_the_slate_image(codec: str) -> None:
    s = slate.encode(codec, 320, 180)
    assert (s.codec, s.width, s.height, s.fps) == (codec, 320, 180, 5)
    decoder = av.CodecContext.create({"video/VP8": "libvpx", "video/H264": "h264"}[codec], "r")
    frames = decoder.decode(av.Packet(s.data))
    if not frames:  # some decoders hold the first frame until flushed
        frames = decoder.decode(None)
    assert len(frames) == 1
    image = frames[0].to_image()
    assert image.size == (320, 180)
    corner = image.getpixel((2, 2))
    assert isinstance(corner, tuple)
    assert all(abs(a - b) < 12 for a, b in zip(corner, slate.BACKGROUND, strict=True))  # what tests look for
    centre_row = [image.getpixel((x, int(180 * 0.38) + 8)) for x in range(320)]
    assert any(sum(p) > 500 for p in centre_row if isinstance(p, tuple))  # the light title text is drawn


def test_the_silence_is_one_20_ms_opus_packet_of_zeros() -> None:
    s = slate.encode_silence()
    decoder = av.CodecContext.create("libopus", "r")
    assert isinstance(decoder, av.AudioCodecContext)
    decoder.sample_rate, decoder.layout = slate.AUDIO_RATE, "stereo"
    frames = decoder.decode(av.Packet(s))
    assert sum(f.samples for f in frames) == slate.AUDIO_FRAME
    assert all(not f.to_ndarray().any() for f in frames)
    assert slate.encode("video/VP8", 160, 90).audio == s  # the same packet every time: encoded once


def test_an_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="no slate encoder"):
        slate.encode("video/AV1")
