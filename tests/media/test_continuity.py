"""Timestamp and sequence-number rewrite across program cuts."""

from __future__ import annotations

from media.continuity import RTP_TS_MOD, TimestampRewriter, signed_delta

RTP_SEQ_MOD = 1 << 16


def test_signed_delta_wraps() -> None:
    assert signed_delta(5, 3, RTP_TS_MOD) == 2
    assert signed_delta(3, 5, RTP_TS_MOD) == -2
    assert signed_delta(10, RTP_TS_MOD - 20, RTP_TS_MOD) == 30
    assert signed_delta(RTP_SEQ_MOD - 1, 1, RTP_SEQ_MOD) == -2


def test_within_one_source_the_output_follows_the_input_deltas() -> None:
    rw = TimestampRewriter(interval=3000, max_jump=90000)
    outs = [rw.rewrite(ts) for ts in (1_000_000, 1_003_000, 1_006_000, 1_012_000)]
    assert outs == [0, 3000, 6000, 12000]  # a lost frame stays a gap of two intervals


def test_a_cut_advances_by_one_interval_whatever_the_new_source_timeline() -> None:
    rw = TimestampRewriter(interval=3000, max_jump=90000)
    for ts in (500, 3500, 6500):
        rw.rewrite(ts)
    rw.cut()
    # the new venue's clock is far behind the old one: output must not go back
    assert rw.rewrite(7) == 9000
    assert rw.rewrite(3007) == 12000
    rw.cut()
    # and far ahead: output must not leap
    assert rw.rewrite(4_000_000_000) == 15000
    assert rw.rewrite(4_000_003_000) == 18000
    assert rw.cuts == 2


def test_input_wrap_around_is_followed() -> None:
    rw = TimestampRewriter(interval=960, max_jump=48000)
    first = RTP_TS_MOD - 960
    assert rw.rewrite(first) == 0
    assert rw.rewrite(0) == 960
    assert rw.rewrite(960) == 1920


def test_backward_or_huge_jump_within_a_source_stays_continuous() -> None:
    rw = TimestampRewriter(interval=3000, max_jump=90000)
    rw.rewrite(100_000)
    rw.rewrite(103_000)
    assert rw.rewrite(50_000) == 6000  # publisher restarted its clock
    assert rw.rewrite(53_000) == 9000
    assert rw.rewrite(53_000 + 10 * 90000) == 12000  # leapt ten seconds: one interval on the wire


def test_output_is_monotonic_over_many_random_cuts() -> None:
    import random

    rnd = random.Random(7)
    rw = TimestampRewriter(interval=3000, max_jump=90000)
    last = -1
    for _ in range(50):
        rw.cut()
        ts = rnd.randrange(RTP_TS_MOD)
        for _ in range(rnd.randrange(1, 20)):
            out = rw.rewrite(ts % RTP_TS_MOD)
            assert out > last
            last = out
            ts += 3000
