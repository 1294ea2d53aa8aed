"""Live aggregation of one segment's evaluations: pure functions, no I/O.

Spread is the population standard deviation (the observers who scored are the whole group being
described; it is 0 for a single score). The weighted total is the weighted mean of the criterion means,
on the rubric's scale; ``weighted_percent`` expresses it as a share of the scale's maximum.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from evaluation.rubrics import RubricBody


@dataclass(frozen=True)
class ScoreSheet:
    """One evaluation's scores: criterion key -> score."""

    scores: dict[str, float]


@dataclass(frozen=True)
class TaggedMoment:
    """A shared note as the timeline sees it."""

    at: float
    kind: str | None
    criterion: str | None


class CriterionStats(BaseModel):
    key: str
    title: str
    weight: float
    count: int
    mean: float | None
    stdev: float | None
    min: float | None
    max: float | None
    distribution: dict[str, int]  # scale point (as text) -> how many gave it


class Moment(BaseModel):
    start: float  # UNIX seconds, start of the bucket
    offset: float  # seconds from the first bucket
    count: int
    kinds: dict[str, int]
    criteria: dict[str, int]


class Aggregate(BaseModel):
    count: int
    criteria: list[CriterionStats]
    weighted_total: float | None
    weighted_percent: float | None
    totals: list[float]  # each evaluation's own weighted total, sorted (no identities)
    timeline: list[Moment]
    top_moments: list[Moment]


def _point_label(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def weighted_total(rubric: RubricBody, means: dict[str, float]) -> float | None:
    """Weighted mean over the criteria that have a value; ``None`` when none has."""
    pairs = [(c.weight, means[c.key]) for c in rubric.criteria if c.key in means]
    weight = sum(w for w, _ in pairs)
    if not pairs or weight <= 0:
        return None
    return sum(w * m for w, m in pairs) / weight


def criterion_stats(rubric: RubricBody, sheets: Sequence[ScoreSheet]) -> list[CriterionStats]:
    points = [_point_label(p) for p in rubric.scale.points()]
    out = []
    for c in rubric.criteria:
        values = [s.scores[c.key] for s in sheets if c.key in s.scores]
        counted = Counter(_point_label(v) for v in values)
        out.append(
            CriterionStats(
                key=c.key,
                title=c.title,
                weight=c.weight,
                count=len(values),
                mean=statistics.fmean(values) if values else None,
                stdev=statistics.pstdev(values) if values else None,
                min=min(values) if values else None,
                max=max(values) if values else None,
                distribution={p: counted.get(p, 0) for p in points},
            )  # fmt: skip
        )
    return out


def timeline(moments: Sequence[TaggedMoment], bucket_seconds: float) -> list[Moment]:
    """Shared notes counted per time bucket, in time order (only buckets that have notes)."""
    if not moments:
        return []
    origin = math.floor(min(m.at for m in moments) / bucket_seconds) * bucket_seconds
    buckets: dict[int, list[TaggedMoment]] = {}
    for m in moments:
        buckets.setdefault(int((m.at - origin) // bucket_seconds), []).append(m)
    out = []
    for index in sorted(buckets):
        items = buckets[index]
        out.append(
            Moment(
                start=origin + index * bucket_seconds,
                offset=index * bucket_seconds,
                count=len(items),
                kinds=dict(Counter(m.kind for m in items if m.kind)),
                criteria=dict(Counter(m.criterion for m in items if m.criterion)),
            )  # fmt: skip
        )
    return out


def aggregate(
    rubric: RubricBody,
    sheets: Sequence[ScoreSheet],
    moments: Sequence[TaggedMoment],
    *,
    bucket_seconds: float = 60.0,
    top: int = 5,
) -> Aggregate:
    stats = criterion_stats(rubric, sheets)
    means = {s.key: s.mean for s in stats if s.mean is not None}
    total = weighted_total(rubric, means)
    totals = sorted(t for s in sheets if (t := weighted_total(rubric, s.scores)) is not None)
    line = timeline(moments, bucket_seconds)
    ranked = sorted(line, key=lambda m: (-m.count, m.start))[:top]
    return Aggregate(
        count=len(sheets), criteria=stats, weighted_total=total,
        weighted_percent=None if total is None else total / rubric.scale.max * 100,
        totals=totals, timeline=line, top_moments=ranked,
    )  # fmt: skip
