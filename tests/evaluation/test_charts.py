"""Chart images render with a CJK font when there is one, and without one fall back to criterion keys."""

from __future__ import annotations

import pytest

from evaluation import charts
from evaluation.aggregate import ScoreSheet, TaggedMoment, aggregate
from evaluation.rubrics import templates


def _agg():  # type: ignore[no-untyped-def]
    r = templates()["general"]
    return r, aggregate(
        r, [ScoreSheet({c.key: 4 for c in r.criteria})], [TaggedMoment(100, "positive", "goals")]
    )


def test_renders_pngs() -> None:
    r, agg = _agg()
    out = charts.render(r, agg, bucket_seconds=60)
    assert set(out) == {"means", "distribution", "timeline"}
    assert all(png.startswith(b"\x89PNG") for png in out.values())


def test_without_cjk_font_labels_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    seen: list[str] = []
    real = charts._label
    monkeypatch.setattr(
        charts, "_label", lambda text, fallback: seen.append(real(text, fallback)) or real(text, fallback)
    )
    r, agg = _agg()
    out = charts.render(r, agg, bucket_seconds=60)
    assert all(png.startswith(b"\x89PNG") for png in out.values())
    assert "goals" in seen and not any("教学" in s for s in seen)
