"""The server-side moment of a note, whatever the client's clock says."""

from __future__ import annotations

from evaluation.program import program_time

DAY = 86400.0


def test_no_client_time_is_now() -> None:
    assert program_time(1000.0, None, None, max_age=DAY) == 1000.0


def test_age_from_the_clients_own_clock() -> None:
    # the client clock is an hour fast: only the difference between its two readings counts
    assert program_time(10_000.0, 13_480.0, 13_600.0, max_age=DAY) == 10_000.0 - 120
    assert program_time(10_000.0, 13_700.0, 13_600.0, max_age=DAY) == 10_000.0  # written "after" sending
    assert program_time(10 * DAY, 0.0, 5 * DAY, max_age=DAY) == 9 * DAY  # capped


def test_plain_client_time_is_trusted_when_plausible() -> None:
    assert program_time(10_000.0, 9_000.0, None, max_age=DAY) == 9_000.0
    assert program_time(10_000.0, 11_000.0, None, max_age=DAY) == 10_000.0  # not in the future
    assert program_time(10 * DAY, 1.0, None, max_age=DAY) == 9 * DAY  # not days away
