from __future__ import annotations

import pytest

from media.bitstream import h264_nal_types, is_keyframe, vp8_dimensions


def test_vp8_frame_tag() -> None:
    assert is_keyframe("video/VP8", bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A]))  # P bit 0: key frame
    assert not is_keyframe("video/vp8", bytes([0x11, 0x02, 0x00]))
    assert not is_keyframe("video/VP8", b"")


def test_h264_annex_b() -> None:
    idr = b"\x00\x00\x00\x01\x67\x42\x00\x1f" + b"\x00\x00\x00\x01\x68\xce" + b"\x00\x00\x01\x65\x88"
    assert h264_nal_types(idr) == [7, 8, 5]
    assert is_keyframe("video/H264", idr)
    assert not is_keyframe("video/H264", b"\x00\x00\x00\x01\x41\x9a")


def test_audio_and_unknown() -> None:
    assert is_keyframe("audio/opus", b"\x01")
    with pytest.raises(ValueError):
        is_keyframe("video/AV1", b"")


def test_vp8_dimensions() -> None:
    header = (
        bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])
        + (640).to_bytes(2, "little")
        + (480).to_bytes(2, "little")
    )
    assert vp8_dimensions(header) == (640, 480)
    assert vp8_dimensions(bytes([0x11]) + header[1:]) is None
