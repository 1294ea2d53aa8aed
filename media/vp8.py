"""The VP8 RTP payload descriptor (RFC 7741 §4.2): read a publisher's temporal layers, write a viewer's.

A temporally scalable VP8 publisher (Chromium with ``scalabilityMode: "L1T3"``) marks every frame's
packets with its temporal layer (TID), a layer-sync bit (Y: the frame refers only to the base layer,
so a viewer can start taking that layer here) and TL0PICIDX (a counter of base-layer frames). A
viewer that is sent only some layers must still see one continuous stream: its picture ids count the
frames *it* gets and its TL0PICIDX the base-layer frames it gets (:class:`Numbering`, one per
viewer), as mediasoup and LiveKit rewrite them. Pure functions on bytes; no I/O.

::

    d = parse(payload)                 # d.tid, d.sync, d.tl0picidx, d.picture_id, d.size
    numbering = Numbering(picture_id=1234, tl0picidx=7)
    first, rest = numbering.next(tid=0, sync=False)   # descriptors for the frame's packets
"""

from __future__ import annotations

from typing import NamedTuple

# payload bytes per packet besides the descriptor: 1300 in all, as aiortc's own VP8 packetizer
MAX_PACKET = 1300
MAX_DESCRIPTOR = 6
CHUNK = MAX_PACKET - MAX_DESCRIPTOR


class Descriptor(NamedTuple):
    """One packet's VP8 payload descriptor; ``None`` for fields the sender left out."""

    start: bool  # S: the first packet of a partition (of the frame, with partition 0)
    partition: int  # PID
    picture_id: int | None  # 7 or 15 bits
    tl0picidx: int | None
    tid: int | None  # temporal layer, 0 = base
    sync: bool  # Y: refers only to the base layer (a switching point up to ``tid``)
    keyidx: int | None
    size: int  # descriptor length in bytes (the VP8 data follows)


def parse(payload: bytes) -> Descriptor:
    """The descriptor at the start of a VP8 RTP payload; ValueError when it is cut short."""
    try:
        first = payload[0]
        pos = 1
        picture_id = tl0picidx = tid = keyidx = None
        sync = False
        if first & 0x80:  # X: an extension byte follows
            ext = payload[1]
            pos = 2
            if ext & 0x80:  # I: picture id, M bit for 15 bits
                if payload[pos] & 0x80:
                    picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
                    pos += 2
                else:
                    picture_id = payload[pos]
                    pos += 1
            if ext & 0x40:  # L: TL0PICIDX
                tl0picidx = payload[pos]
                pos += 1
            if ext & 0x30:  # T and/or K share one byte
                byte = payload[pos]
                if ext & 0x20:
                    tid = byte >> 6
                    sync = bool(byte & 0x20)
                if ext & 0x10:
                    keyidx = byte & 0x1F
                pos += 1
    except IndexError:
        raise ValueError("VP8 payload descriptor cut short") from None
    if pos > len(payload):
        raise ValueError("VP8 payload descriptor cut short")
    return Descriptor(bool(first & 0x10), first & 0x0F, picture_id, tl0picidx, tid, sync, keyidx, pos)


def write(*, start: bool, picture_id: int, tl0picidx: int | None = None, tid: int | None = None,
          sync: bool = False) -> bytes:  # fmt: skip
    """A descriptor with a 15-bit picture id (partition 0), and TL0PICIDX/TID when ``tid`` is given."""
    head = 0x90 if start else 0x80
    pid = bytes(((picture_id >> 8) & 0x7F | 0x80, picture_id & 0xFF))
    if tid is None:
        return bytes((head, 0x80)) + pid
    if tl0picidx is None:
        raise ValueError("a temporal layer needs a TL0PICIDX")
    return bytes((head, 0xE0)) + pid + bytes((tl0picidx & 0xFF, (tid & 0x03) << 6 | (0x20 if sync else 0)))


def chunks(frame: bytes) -> list[bytes]:
    """A VP8 frame cut into packet payloads without descriptors (each viewer adds its own)."""
    return [frame[i : i + CHUNK] for i in range(0, len(frame), CHUNK)] or [b""]


class Numbering:
    """One viewer's picture ids and TL0PICIDX, continuous over the frames it is actually sent."""

    def __init__(self, picture_id: int, tl0picidx: int) -> None:
        self.picture_id = picture_id & 0x7FFF
        self.tl0picidx = tl0picidx & 0xFF

    def next(self, tid: int | None, sync: bool) -> tuple[bytes, bytes]:
        """Descriptors for the next frame sent: its first packet's and every other packet's."""
        pid = self.picture_id
        self.picture_id = (pid + 1) & 0x7FFF
        if tid == 0:
            self.tl0picidx = (self.tl0picidx + 1) & 0xFF
        tl0 = self.tl0picidx if tid is not None else None
        return (write(start=True, picture_id=pid, tl0picidx=tl0, tid=tid, sync=sync),
                write(start=False, picture_id=pid, tl0picidx=tl0, tid=tid, sync=sync))  # fmt: skip
