"""Which temporal layers each viewer is sent: a per-viewer choice from its own RTCP, or a moderator's pin.

A temporally scalable publisher (VP8 L1T3: layers 0, 1, 2 at 7.5, 15 and 30 fps) lets the relay
lower a viewer's bit rate without transcoding: dropping layer 2 halves the frame rate and saves about
a third of the bits, keeping only layer 0 about half. Pure logic, no I/O (times are passed in):

* :class:`LayerSelector` decides per frame whether it goes to this viewer: frames above the current
  layer are dropped; the current layer goes *down* at once (any frame boundary: nothing below refers
  to a dropped frame) and *up* only where the higher layer can start: a keyframe (straight to the
  target) or a layer-sync frame (Y bit) of the next layer.
* :class:`Adapter` picks the target from the viewer's RTCP, conservatively like a loss-based
  congestion controller: a receiver report with more than :data:`LOSS_DOWN` loss steps down one
  layer, and so do NACKs for more than that share of the packets sent within :data:`NACK_WINDOW` (they
  come within a round trip of the loss, a report only about once a second: a link that suddenly
  narrows loses less before the viewer steps down); climbing one layer needs :data:`CLIMB_AFTER`
  seconds of clean reports and no step down, twice as long (up to :data:`MAX_CLIMB_AFTER`) after each
  climb to that layer that failed within :data:`CLIMB_AFTER` (a link just short of a layer would
  otherwise lose a burst every few seconds), back to :data:`CLIMB_AFTER` once a climb to it holds.
  A REMB is kept and shown, not acted on: behind this relay both receivers' delay-based estimators
  mislead — aiortc's starts low and climbs for tens of seconds whatever the link, and Chromium's fell
  to about 100 kbit/s on an 800 kbit/s cap and stayed there after the cap lifted (the relay neither
  paces its bursts nor refreshes abs-send-time on retransmissions, both of which that estimator
  reads). Loss is what they agree on.

Cost: one comparison per forwarded frame; the adapter runs once per RTCP report (about one a second).
"""

from __future__ import annotations

TOP = 2  # VP8 L1T3's highest temporal layer
LOSS_DOWN = 0.10  # loss fraction in one receiver report that steps a viewer down a layer
LOSS_CLEAN = 0.02  # at most this much loss counts as a clean report
CLIMB_AFTER = 5.0  # seconds of clean reports before climbing a layer
MAX_CLIMB_AFTER = 40.0  # the longest wait after failed climbs
NACK_WINDOW = 0.5  # seconds of NACKs weighed against the packets sent meanwhile


class LayerSelector:
    """One viewer's current and target temporal layer; :meth:`admit` runs once per frame."""

    def __init__(self, target: int = TOP) -> None:
        self.target = target
        self.current = target
        self.switches = 0

    def set_target(self, layer: int) -> None:
        """Aim at ``layer``; down takes effect at the next frame, up at the next switching point."""
        self.target = layer
        if layer < self.current:
            self.current = layer
            self.switches += 1

    def admit(self, tid: int | None, keyframe: bool, sync: bool) -> bool:
        """Whether a frame of temporal layer ``tid`` (None: not layered) goes to this viewer."""
        if tid is None or tid <= self.current:
            if keyframe and self.current < self.target:  # a keyframe starts every layer afresh
                self.current = self.target
                self.switches += 1
            return True
        if sync and tid == self.current + 1 and tid <= self.target:
            self.current = tid
            self.switches += 1
            return True
        return False


class Adapter:
    """A viewer's bandwidth-driven target layer from its RTCP (receiver reports, NACKs; REMB shown)."""

    def __init__(self, now: float, top: int = TOP) -> None:
        self.top = top
        self.layer = top
        self.loss = 0.0  # fraction lost in the last receiver report
        self.rtt: float | None = None
        self.remb: int | None = None  # the viewer's receiver-estimated maximum bit rate
        self.clean_since = now
        self.steps_down = 0
        self.steps_up = 0
        self.climb_after = [CLIMB_AFTER] * (top + 1)  # per layer climbed to
        self.climbed_at: float | None = None  # the last climb, until it holds or fails
        self._nack_window: tuple[float, int] | None = None  # (start, packets sent by then)
        self._nacked = 0  # sequence numbers NACKed since the window started

    def report(self, fraction_lost: float, rtt: float | None, now: float) -> int:
        """A receiver report: its loss fraction and aiortc's round-trip time from it."""
        self.loss = fraction_lost
        self.rtt = rtt
        if fraction_lost > LOSS_DOWN:
            self._down(now)
        elif fraction_lost > LOSS_CLEAN:
            self.clean_since = now
        else:
            if self.climbed_at is not None and now - self.climbed_at >= CLIMB_AFTER:  # it held
                self.climb_after[self.layer] = CLIMB_AFTER
                self.climbed_at = None
            if self.layer < self.top and now - self.clean_since >= self.climb_after[self.layer + 1]:
                self.layer += 1
                self.steps_up += 1
                self.clean_since = self.climbed_at = now
        return self.layer

    def receiver_estimate(self, bitrate: int) -> None:
        """A REMB: kept for the status, not acted on (see the module doc)."""
        self.remb = bitrate

    def nacks(self, count: int, packets_sent: int, now: float) -> int:
        """A NACK for ``count`` sequence numbers; ``packets_sent``: the viewer's packets so far."""
        window = self._nack_window
        if window is not None and now - window[0] < NACK_WINDOW:
            self._nacked += count
            return self.layer
        if window is not None:  # weigh the window that ended: NACKed against sent
            sent = packets_sent - window[1]
            if sent > 0 and self._nacked / sent > LOSS_DOWN:
                self._down(now)
        self._nack_window, self._nacked = (now, packets_sent), count
        return self.layer

    def _down(self, now: float) -> None:
        self.clean_since = now
        if self.climbed_at is not None:  # the last climb failed: wait longer before the next to that layer
            if now - self.climbed_at < CLIMB_AFTER:
                self.climb_after[self.layer] = min(self.climb_after[self.layer] * 2, MAX_CLIMB_AFTER)
            self.climbed_at = None
        if self.layer > 0:
            self.layer -= 1
            self.steps_down += 1
