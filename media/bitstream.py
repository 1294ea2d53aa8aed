"""Pure helpers on encoded frames: is this frame a keyframe? (no I/O, byte-tested).

A relay never decodes, so it recognises keyframes from the first bytes of the depayloaded frame:
VP8's frame tag (RFC 6386 §9.1: bit 0 of the first byte is 0 for a key frame) and H.264's NAL unit
types in an Annex-B stream (5 = IDR slice, 7 = SPS, which encoders send right before an IDR).
Audio frames are all independently decodable.
"""

from __future__ import annotations

VIDEO_CODECS = ("video/VP8", "video/H264")
AUDIO_CODECS = ("audio/opus",)

_H264_KEY_NAL_TYPES = frozenset({5, 7})


def vp8_is_keyframe(frame: bytes) -> bool:
    """True when a raw VP8 frame (without the RTP payload descriptor) is a key frame."""
    return len(frame) >= 3 and frame[0] & 0x01 == 0


def h264_nal_types(frame: bytes) -> list[int]:
    """NAL unit types of an Annex-B byte stream (start codes 00 00 01 or 00 00 00 01)."""
    types: list[int] = []
    i = frame.find(b"\x00\x00\x01")
    while i != -1 and i + 3 < len(frame):
        types.append(frame[i + 3] & 0x1F)
        i = frame.find(b"\x00\x00\x01", i + 3)
    return types


def h264_is_keyframe(frame: bytes) -> bool:
    """True when an Annex-B H.264 access unit carries an IDR slice or a sequence parameter set."""
    return any(t in _H264_KEY_NAL_TYPES for t in h264_nal_types(frame))


def is_keyframe(mime_type: str, frame: bytes) -> bool:
    """Keyframe test by codec MIME type (case-insensitive); audio is always independently decodable."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return vp8_is_keyframe(frame)
    if mime == "video/h264":
        return h264_is_keyframe(frame)
    if mime.startswith("audio/"):
        return True
    raise ValueError(f"unsupported codec {mime_type!r}")


def vp8_dimensions(frame: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 §9.1), or None for other frames."""
    if not vp8_is_keyframe(frame) or len(frame) < 10 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(frame[6:8], "little") & 0x3FFF
    height = int.from_bytes(frame[8:10], "little") & 0x3FFF
    return width, height
