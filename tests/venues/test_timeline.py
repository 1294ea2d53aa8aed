"""Which venue was main when: the timeline cut from the program changes."""

from __future__ import annotations

from venues.timeline import on_air


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
