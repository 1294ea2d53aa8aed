"""Stream continuity across a program cut: pure timestamp rewrite math, no I/O.

The program feed forwards encoded frames of one venue, then of another. An observer's jitter buffer
must see one unbroken stream: timestamps that never jump back and that advance across a cut by about
one frame interval. Like Janus ``switch``, LiveKit's forwarder and mediasoup consumers, the output keeps
its own timeline: within one source it advances by the source's own delta; at a cut, or when a source's timeline jumps (a publisher that
reconnected, a wrap we cannot explain), it re-anchors one nominal interval after the last output.

aiortc's ``RTCRtpSender`` derives the RTP timestamp from an ``av.Packet``'s ``pts`` and keeps its own
sequence numbers per sender (contiguous across a cut by construction), so the program feed only rewrites
``pts``, with :class:`TimestampRewriter` per output track.
"""

from __future__ import annotations

from dataclasses import dataclass

RTP_TS_MOD = 1 << 32


def signed_delta(new: int, old: int, modulus: int) -> int:
    """``new - old`` on a wrapping counter, as the shortest signed distance (RFC 3550 style)."""
    d = (new - old) % modulus
    return d - modulus if d >= modulus // 2 else d


@dataclass
class TimestampRewriter:
    """Maps input timestamps of successive sources onto one monotonic output timeline.

    ``interval``: nominal frame duration in timestamp units (3000 at 90 kHz/30 fps, 960 for 20 ms Opus).
    ``max_jump``: a forward jump larger than this within one source is treated as a discontinuity.
    ``modulus``: input timestamps wrap at this value (2**32 for RTP timestamps).
    """

    interval: int
    max_jump: int
    modulus: int = RTP_TS_MOD
    _last_in: int | None = None
    _last_out: int | None = None
    cuts: int = 0

    def cut(self) -> None:
        """The next timestamp comes from a new source: re-anchor there."""
        self._last_in = None

    def rewrite(self, ts: int) -> int:
        """The output timestamp for input ``ts``; never smaller than the previous output."""
        if self._last_out is None:
            out = 0
        elif self._last_in is None:
            out = self._last_out + self.interval
            self.cuts += 1
        else:
            delta = signed_delta(ts, self._last_in, self.modulus)
            if 0 <= delta <= self.max_jump:
                out = self._last_out + delta
            else:  # the source's timeline went back or leapt ahead: stay continuous
                out = self._last_out + self.interval
        self._last_in = ts
        self._last_out = out
        return out

    @property
    def last_out(self) -> int | None:
        return self._last_out
