"""The server-side moment of a note, whatever the client's clock says."""

from __future__ import annotations

from evaluation.program import on_air, program_time

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


def test_on_air_cuts_the_timeline_at_each_change() -> None:
    names = {"v3": "三小", "v1": "一小"}
    changes = [(900.0, "v3"), (1030.0, "v1"), (1060.0, None), (1200.0, "v3")]
    bands = on_air(changes, origin=1000.0, until=1100.0, names=names)
    assert [(b.start, b.end, b.venue_id, b.venue_name) for b in bands] == [
        (0.0, 30.0, "v3", "三小"),  # on air before the recording began: clipped to its start
        (30.0, 60.0, "v1", "一小"),
        (60.0, 100.0, None, None),  # the slate; the change after the end is left out
    ]


def test_on_air_before_any_change_is_nothing() -> None:
    assert on_air([(1050.0, "v3")], origin=1000.0, until=1100.0, names={}) == on_air(
        [(1050.0, "v3"), (1200.0, "v1")], origin=1000.0, until=1100.0, names={}
    )
    [band] = on_air([(1050.0, "v3")], origin=1000.0, until=1100.0, names={})
    assert (band.start, band.end, band.venue_name) == (50.0, 100.0, None)
    assert on_air([], origin=1000.0, until=1100.0, names={}) == []
