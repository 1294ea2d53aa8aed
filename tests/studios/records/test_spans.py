"""Merging stays across reconnects and tabs, and the hours rule."""

from __future__ import annotations

from studios.records.spans import Credit, HoursRule, clip, merge, total


def test_merge_joins_overlaps_and_short_gaps_only() -> None:
    spans = [(10.0, 20.0), (0.0, 5.0), (21.0, 30.0), (15.0, 18.0), (100.0, 90.0)]
    assert merge(spans) == [(0.0, 5.0), (10.0, 20.0), (21.0, 30.0)]
    assert merge(spans, gap=1.0) == [(0.0, 5.0), (10.0, 30.0)]
    assert merge(spans, gap=5.0) == [(0.0, 30.0)]
    assert total(merge(spans, gap=1.0)) == 25.0
    assert clip([(0.0, 10.0), (20.0, 30.0)], 5.0, 25.0) == [(5.0, 10.0), (20.0, 25.0)]


def test_the_hours_rule() -> None:
    rule = HoursRule(min_ratio=0.8, credit=Credit.ACTIVITY, step=0.5)
    hour = 3600.0
    assert rule.counts(0.8 * 45 * 60, 45 * 60) and not rule.counts(0.79 * 45 * 60, 45 * 60)
    assert rule.hours(40 * 60, 45 * 60) == 0.5  # 0.75 h rounded down to the step
    assert rule.hours(2 * hour, 2 * hour) == 2.0 and rule.hours(hour, 2 * hour) == 0.0
    present = HoursRule(min_ratio=0.5, credit=Credit.PRESENT, step=0)
    assert present.hours(1.5 * hour, 2 * hour) == 1.5 and present.hours(3 * hour, 2 * hour) == 2.0
    assert rule.ratio(10, 0) == 1.0  # an activity of no length: whoever came was there all of it
