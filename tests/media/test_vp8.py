"""The VP8 payload descriptor: parsing a publisher's temporal layers, writing each viewer's own numbering."""

from __future__ import annotations

import pytest
from aiortc.codecs.vpx import VpxPayloadDescriptor, vp8_depayload

from media import vp8

# first bytes of packets Chromium 156 sent with scalabilityMode "L1T3" (captured by an aiortc receiver)
CHROMIUM_TL2 = bytes.fromhex("b0e0862eb28091")  # X N S, I L T: pid 1582, TL0PICIDX 0xb2, TID 2
CHROMIUM_TL0 = bytes.fromhex("90e0862fb30011")  # pid 1583, TL0PICIDX 0xb3, TID 0, then VP8 data 0x11
CHROMIUM_SYNC = bytes.fromhex("90e08631b36011")  # the same form for a TID 1 layer-sync frame (Y bit)


def test_parses_chromiums_temporal_layer_fields() -> None:
    tl2 = vp8.parse(CHROMIUM_TL2)
    assert (tl2.start, tl2.partition, tl2.picture_id, tl2.tl0picidx, tl2.tid, tl2.sync) == (
        True,
        0,
        1582,
        0xB2,
        2,
        False,
    )
    assert tl2.size == 6 and tl2.keyidx is None
    tl0 = vp8.parse(CHROMIUM_TL0)
    assert (tl0.picture_id, tl0.tl0picidx, tl0.tid, tl0.sync, tl0.size) == (1583, 0xB3, 0, False, 6)
    assert CHROMIUM_TL0[tl0.size :] == vp8_depayload(CHROMIUM_TL0) == b"\x11"
    sync = vp8.parse(CHROMIUM_SYNC)
    assert (sync.tid, sync.sync) == (1, True)


def test_parses_short_forms_and_keyidx() -> None:
    assert vp8.parse(b"\x10\x9d") == vp8.Descriptor(True, 0, None, None, None, False, None, 1)  # no X
    seven_bit = vp8.parse(b"\x80\x80\x05\xaa")
    assert (seven_bit.start, seven_bit.picture_id, seven_bit.size) == (False, 5, 3)
    keyidx = vp8.parse(b"\x90\x10\x07")  # K only: KEYIDX in the low five bits, no TID
    assert (keyidx.keyidx, keyidx.tid, keyidx.size) == (7, None, 3)
    both = vp8.parse(b"\x90\x30\xe7")  # T and K share the byte
    assert (both.tid, both.sync, both.keyidx) == (3, True, 7)


@pytest.mark.parametrize(
    "cut", [b"", b"\x80", b"\x90\x80", b"\x90\x80\x86", b"\x90\xe0\x86\x2e", b"\x90\xe0\x86\x2e\xb2"]
)
def test_a_descriptor_cut_short_is_an_error(cut: bytes) -> None:
    with pytest.raises(ValueError, match="cut short"):
        vp8.parse(cut)


def test_written_descriptors_parse_back_and_match_aiortcs_bytes() -> None:
    plain = vp8.write(start=True, picture_id=1234)
    assert plain == bytes(VpxPayloadDescriptor(partition_start=1, partition_id=0, picture_id=1234))
    layered = vp8.write(start=False, picture_id=0x7FFF, tl0picidx=0x1FF, tid=2, sync=True)
    assert layered == bytes.fromhex("80e0ffffffa0")
    d = vp8.parse(layered)
    assert (d.start, d.picture_id, d.tl0picidx, d.tid, d.sync, d.size) == (False, 0x7FFF, 0xFF, 2, True, 6)
    theirs, _ = VpxPayloadDescriptor.parse(layered + b"\x00")
    assert (theirs.picture_id, theirs.tl0picidx, theirs.tid) == (0x7FFF, 0xFF, (2, 1))
    with pytest.raises(ValueError):
        vp8.write(start=True, picture_id=1, tid=0)  # a layer without TL0PICIDX


def test_chunks_leave_room_for_the_longest_descriptor() -> None:
    frame = bytes(range(256)) * 11
    parts = vp8.chunks(frame)
    assert b"".join(parts) == frame and max(map(len, parts)) + vp8.MAX_DESCRIPTOR == vp8.MAX_PACKET
    assert vp8.chunks(b"") == [b""]


def test_numbering_is_continuous_over_the_frames_a_viewer_gets() -> None:
    """Layer 2 frames dropped for this viewer leave no gap in its picture ids; TL0PICIDX counts layer 0."""
    numbering = vp8.Numbering(picture_id=0x7FFE, tl0picidx=0xFE)
    sent = [(0, False), (1, True), (0, False), (1, False), (0, False)]  # L1T3 without its layer 2
    got = []
    for tid, sync in sent:
        first, rest = numbering.next(tid, sync)
        a, b = vp8.parse(first), vp8.parse(rest)
        assert (a.start, b.start) == (True, False) and a[1:] == b[1:]
        got.append((a.picture_id, a.tl0picidx, a.tid, a.sync))
    assert got == [(0x7FFE, 0xFF, 0, False), (0x7FFF, 0xFF, 1, True), (0, 0, 0, False), (1, 0, 1, False),
                   (2, 1, 0, False)]  # fmt: skip
    first, _ = numbering.next(None, False)  # a single-layer source: picture id only
    assert vp8.parse(first)[2:5] == (3, None, None) and len(first) == 4
