"""server.ratelimit.TokenBucket: a burst, then the rate; nothing spent when refused."""

from __future__ import annotations

import pytest

from server.ratelimit import TokenBucket


def test_a_full_bucket_gives_its_burst_then_refuses() -> None:
    bucket = TokenBucket(1 / 3600, burst=3)  # refills one token an hour: nothing comes back during the test
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(1 / 3600, burst=3)
    assert bucket.take(2)
    assert not bucket.take(2)  # only one left
    assert bucket.take(1)


def test_the_burst_defaults_to_one_second_of_the_rate() -> None:
    assert TokenBucket(50).burst == 50


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (5, 0.5)])
def test_nonsense_limits_are_refused(rate: float, burst: float | None) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst=burst)
