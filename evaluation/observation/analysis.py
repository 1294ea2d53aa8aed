"""What a coded sequence says, for any instrument: counts, metrics (Rt, Ch …), lesson type, curve,
and across observers the consensus sequence and their agreement. Pure functions, no I/O.

S-T method: Rt = N_T / N, Ch = (g − 1) / N with g the number of runs (maximal stretches of one code);
the lesson type is the first of the instrument's types whose thresholds hold (练习型 Rt ≤ 0.3,
讲授型 Rt ≥ 0.7, 对话型 Ch ≥ 0.4, else 混合型).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from pydantic import BaseModel

from evaluation.observation.instruments import Instrument, LessonType, Metric


class Result(BaseModel):
    """The analysis of one coded sequence."""

    n: int
    counts: dict[str, int]  # code -> samples, in the instrument's code order
    metrics: dict[str, float | None]  # metric key -> value (None without samples)
    runs: int
    type: str | None  # lesson type key
    type_title: str | None
    curve: list[tuple[int, int]]  # the walk's points from (0, 0); empty without a curve


def runs(sequence: Sequence[str]) -> int:
    """Number of maximal stretches of one code (g in the S-T method)."""
    return sum(1 for i, code in enumerate(sequence) if i == 0 or code != sequence[i - 1])


def metric_value(metric: Metric, sequence: Sequence[str]) -> float | None:
    n = len(sequence)
    if n == 0:
        return None
    if metric.kind == "share":
        return sum(1 for c in sequence if c in metric.codes) / n
    return (runs(sequence) - 1) / n


def classify(instrument: Instrument, metrics: Mapping[str, float | None]) -> LessonType | None:
    """The first lesson type whose thresholds all hold; None without samples or types."""
    for kind in instrument.types:
        values = [metrics.get(k) for k in kind.when]
        if any(v is None for v in values):
            return None
        if all(bound.holds(v) for bound, v in zip(kind.when.values(), values, strict=True) if v is not None):
            return kind
    return None


def walk(instrument: Instrument, sequence: Sequence[str]) -> list[tuple[int, int]]:
    """The S-T curve: from the origin, one step right for an ``x`` code, one step up for a ``y`` code."""
    if instrument.curve is None:
        return []
    x = y = 0
    points = [(0, 0)]
    for code in sequence:
        if code in instrument.curve.x:
            x += 1
        elif code in instrument.curve.y:
            y += 1
        else:
            continue
        points.append((x, y))
    return points


def analyse(instrument: Instrument, sequence: Sequence[str]) -> Result:
    """Counts, metrics, runs, lesson type and curve of one sequence of codes."""
    counts = {c.key: 0 for c in instrument.codes}
    for code in sequence:
        if code in counts:
            counts[code] += 1
    metrics = {m.key: metric_value(m, sequence) for m in instrument.metrics}
    kind = classify(instrument, metrics) if sequence else None
    return Result(
        n=len(sequence), counts=counts, metrics=metrics, runs=runs(sequence),
        type=kind.key if kind else None, type_title=kind.title if kind else None,
        curve=walk(instrument, sequence),
    )  # fmt: skip


Coding = Mapping[int, str]  # one observer's interval samples: slot -> code


def consensus(instrument: Instrument, codings: Sequence[Coding]) -> list[tuple[int, str]]:
    """Per slot coded by anyone, the code most observers chose; a tie goes to the code listed first."""
    order = {c.key: i for i, c in enumerate(instrument.codes)}
    slots = sorted({s for coding in codings for s in coding})
    out = []
    for slot in slots:
        votes: dict[str, int] = {}
        for coding in codings:
            if slot in coding:
                votes[coding[slot]] = votes.get(coding[slot], 0) + 1
        best = min(votes, key=lambda c: (-votes[c], order.get(c, len(order))))
        out.append((slot, best))
    return out


def interval_agreement(codings: Sequence[Coding]) -> float | None:
    """Percent agreement between observers: over every pair of observers and every slot both coded,
    the share where they chose the same code. None with fewer than two observers or no common slot."""
    agreed = compared = 0
    for a, b in combinations(codings, 2):
        for slot in a.keys() & b.keys():
            compared += 1
            agreed += a[slot] == b[slot]
    return 100.0 * agreed / compared if compared else None


def count_agreement(counts: Sequence[Mapping[str, int]]) -> float | None:
    """Percent agreement of event counts: over every pair of observers, Σ min ÷ Σ max of the per-code
    counts (100 when both counted the same number of each kind)."""
    low = high = 0
    for a, b in combinations(counts, 2):
        for code in a.keys() | b.keys():
            x, y = a.get(code, 0), b.get(code, 0)
            low += min(x, y)
            high += max(x, y)
    if high == 0:
        return None if len(counts) < 2 else 100.0
    return 100.0 * low / high
