"""Pure aggregation: statistics, weighted totals, timeline buckets."""

from __future__ import annotations

import math

from evaluation.aggregate import ScoreSheet, TaggedMoment, aggregate, timeline, weighted_total
from evaluation.rubrics import Criterion, RubricBody, Scale, templates


def rubric() -> RubricBody:
    return RubricBody(
        name="测试", scale=Scale(min=0, max=10, step=0.5),
        criteria=[Criterion(key="a", title="甲", weight=3), Criterion(key="b", title="乙", weight=1)],
    )  # fmt: skip


def test_statistics_by_hand() -> None:
    agg = aggregate(rubric(), [ScoreSheet({"a": 8, "b": 2}), ScoreSheet({"a": 6, "b": 4.5})], [])
    a, b = agg.criteria
    assert (a.mean, a.stdev, a.min, a.max) == (7, 1, 6, 8)
    assert b.mean == 3.25 and math.isclose(b.stdev or 0, 1.25)
    assert b.distribution["4.5"] == 1 and b.distribution["2"] == 1 and len(b.distribution) == 21
    assert agg.weighted_total == (3 * 7 + 1 * 3.25) / 4
    assert math.isclose(agg.weighted_percent or 0, 60.625)
    assert agg.totals == [(3 * 6 + 4.5) / 4, (3 * 8 + 2) / 4]


def test_empty_segment() -> None:
    agg = aggregate(rubric(), [], [])
    assert agg.count == 0 and agg.weighted_total is None and agg.criteria[0].mean is None
    assert agg.timeline == [] and agg.top_moments == []
    assert weighted_total(rubric(), {"b": 4}) == 4  # criteria without scores do not count


def test_timeline_buckets_and_ranking() -> None:
    moments = [
        TaggedMoment(at, kind, None)
        for at, kind in [(125, "question"), (61, "positive"), (130, "question"), (400, None)]
    ]
    line = timeline(moments, 60)
    assert [(m.start, m.count) for m in line] == [(60, 1), (120, 2), (360, 1)]
    assert line[1].kinds == {"question": 2} and line[2].offset == 300
    top = aggregate(rubric(), [], moments, bucket_seconds=60, top=2).top_moments
    assert [m.start for m in top] == [120, 60]


def test_templates_weights_and_scales() -> None:
    for tpl in templates().values():
        assert sum(c.weight for c in tpl.criteria) == 100
        assert tpl.scale.points() == [1, 2, 3, 4, 5]
