"""The one reading of "now" for stamps that order events across processes.

Every process of a deployment stamps hand-offs, wire switches and observation notes, and those stamps
are compared with each other (which venue was main when a note was written). A process whose clock is
off would put its events out of order, so stamps are not read from the local clock alone: the cluster
compares the local clock with its time authority on each heartbeat (Redis ``TIME`` with Redis; in one
process the process is its own authority) and :meth:`Clock.now` is the local clock corrected by that.

The correction is taken from the sample with the shortest round trip among the last few, so a slow
event loop does not swing it; its error is at most half that round trip (well under a millisecond on
one host or LAN). ``MOKE_DEBUG_CLOCK_OFFSET`` shifts the local reading (tests only: a wrong clock).
"""

from __future__ import annotations

import time
from collections import deque


class Clock:
    """UNIX seconds as the deployment agrees on them: the local clock plus a correction to the authority."""

    SAMPLES = 8

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset  # a deliberately wrong local clock (test setting), in seconds
        self.correction = 0.0  # authority minus local, from the best recent sample
        self._samples: deque[tuple[float, float]] = deque(maxlen=self.SAMPLES)  # (round trip, correction)

    def local(self) -> float:
        """This process's own clock (with the test offset): what the authority is compared against."""
        return time.time() + self.offset

    def now(self) -> float:
        """The current time, corrected to the deployment's time authority."""
        return self.local() + self.correction

    def observe(self, authority: float, sent: float, received: float) -> None:
        """The authority said ``authority`` between the local readings ``sent`` and ``received``."""
        rtt = max(received - sent, 0.0)
        self._samples.append((rtt, authority - (sent + received) / 2))
        self.correction = min(self._samples)[1]
