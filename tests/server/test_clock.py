"""The process clock: corrected to the time authority, a slow round trip does not swing it."""

from __future__ import annotations

import time

import pytest

from server.clock import Clock


def test_a_clock_that_is_off_is_corrected_to_the_authority() -> None:
    clock = Clock(offset=5.0)
    assert clock.now() - time.time() == pytest.approx(5.0, abs=0.05)
    sent = clock.local()
    clock.observe(time.time(), sent, clock.local())  # the authority keeps true time
    assert clock.now() - time.time() == pytest.approx(0.0, abs=0.05)


def test_the_sample_with_the_shortest_round_trip_wins() -> None:
    clock = Clock()
    clock.observe(1000.0, 999.999, 1000.001)  # 2 ms round trip: correction 0
    clock.observe(1012.0, 1010.0, 1012.0)  # a stalled loop: 2 s round trip, its midpoint is 1 s off
    assert clock.correction == 0.0
    for i in range(Clock.SAMPLES):  # the good sample ages out; the best of the rest counts
        clock.observe(2003.0 + i, 2000.0 + i, 2000.01 + i)
    assert clock.correction == pytest.approx(2.995)
