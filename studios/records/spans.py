"""Pure arithmetic of stays: merging intervals across reconnects and tabs, and the hours (学时) rule."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

Span = tuple[float, float]


def merge(spans: Iterable[Span], gap: float = 0.0) -> list[Span]:
    """The union of ``spans``, where two spans less than ``gap`` seconds apart count as one (a reconnect,
    a move to another process, a second tab). Sorted; empty spans are dropped."""
    out: list[list[float]] = []
    for start, end in sorted(s for s in spans if s[1] >= s[0]):
        if out and start - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def total(spans: Iterable[Span]) -> float:
    return sum(b - a for a, b in spans)


def clip(spans: Iterable[Span], lo: float, hi: float) -> list[Span]:
    """``spans`` cut to the window [lo, hi]."""
    return [(max(a, lo), min(b, hi)) for a, b in spans if b > lo and a < hi]


class Credit(StrEnum):
    ACTIVITY = "activity"  # a counted attendance earns the activity's whole length
    PRESENT = "present"  # a counted attendance earns the time actually present


@dataclass(frozen=True)
class HoursRule:
    """When an attendance counts and what it earns: present at least ``min_ratio`` of the activity, then
    ``credit`` hours rounded down to a multiple of ``step`` (0 = no rounding)."""

    min_ratio: float = 0.8
    credit: Credit = Credit.ACTIVITY
    step: float = 0.5

    def ratio(self, present: float, length: float) -> float:
        return 1.0 if length <= 0 else min(1.0, present / length)

    def counts(self, present: float, length: float) -> bool:
        # a tiny tolerance: 80 % of 45 minutes computed in floating point must still count (the ratio's cap
        # at 1 changes nothing here, as min_ratio <= 1)
        return length <= 0 or present / length + 1e-9 >= self.min_ratio

    def hours(self, present: float, length: float) -> float:
        if not self.counts(present, length):
            return 0.0
        seconds = length if self.credit is Credit.ACTIVITY else min(present, length)
        h = seconds / 3600
        return math.floor(h / self.step + 1e-9) * self.step if self.step > 0 else round(h, 2)
