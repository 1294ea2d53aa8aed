"""Report charts (evaluation/charts.py): PNGs drawn with Pillow whose bars are where the data puts them.

The checks read pixels: each chart's bars are found by their fill colour and measured, so a chart that
draws nothing, the wrong number of bars or bars of the wrong length fails.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from evaluation import charts
from evaluation.aggregate import Aggregate, ScoreSheet, TaggedMoment, aggregate
from evaluation.rubrics import RubricBody, templates
from server import fonts

Color = tuple[int, int, int]


def _data() -> tuple[RubricBody, Aggregate]:
    rubric = templates()["general"]  # 7 criteria on a 1–5 scale
    keys = [c.key for c in rubric.criteria]
    sheets = [
        ScoreSheet({k: 1 + i % 5 for i, k in enumerate(keys)}),  # 1 2 3 4 5 1 2
        ScoreSheet({k: 5 for k in keys}),
        ScoreSheet({k: 3 for k in keys}),
    ]
    # notes in minute 0 (×3), minute 1 (×1) and minute 4 (×2): three bars, a gap of two minutes
    moments = [TaggedMoment(1020 + at, "positive", keys[0]) for at in (0, 10, 20, 70, 250, 260)]
    return rubric, aggregate(rubric, sheets, moments)


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG")
    img = Image.open(io.BytesIO(png))
    img.load()  # decodes the whole image: a truncated PNG fails here
    return img.convert("RGB")


def _runs(img: Image.Image, line: list[tuple[int, int]], colors: set[Color]) -> list[tuple[int, int, Color]]:
    """Maximal runs of one of ``colors`` along ``line`` (pixel coordinates): (first index, length, colour)."""
    runs: list[tuple[int, int, Color]] = []
    for i, xy in enumerate(line):
        px = img.getpixel(xy)
        assert isinstance(px, tuple)
        color: Color = (px[0], px[1], px[2])
        if color not in colors:
            continue
        if runs and runs[-1][0] + runs[-1][1] == i and runs[-1][2] == color:
            first, length, _ = runs[-1]
            runs[-1] = (first, length + 1, color)
        else:
            runs.append((i, 1, color))
    return runs


def _column_top(img: Image.Image, x: int, bottom: int, color: Color) -> int:
    """The highest row of the unbroken run of ``color`` that stands on ``bottom`` in column ``x``."""
    y = bottom
    while y > 0 and img.getpixel((x, y - 1))[:3] == color:  # type: ignore[index]
        y -= 1
    return y


def test_all_three_charts_render_as_pngs_of_the_expected_size() -> None:
    rubric, agg = _data()
    out = charts.render(rubric, agg, bucket_seconds=60)
    assert set(out) == {"means", "distribution", "timeline"}
    sizes = {name: _image(png).size for name, png in out.items()}
    assert sizes == {
        "means": (charts.WIDTH, charts.MEANS_HEIGHT),
        "distribution": (charts.WIDTH, charts.distribution_height(7)),
        "timeline": (charts.WIDTH, charts.TIMELINE_HEIGHT),
    }


def test_no_timeline_without_tagged_notes() -> None:
    rubric, _ = _data()
    agg = aggregate(rubric, [ScoreSheet({c.key: 4 for c in rubric.criteria})], [])
    assert set(charts.render(rubric, agg, bucket_seconds=60)) == {"means", "distribution"}


def test_means_draws_one_bar_per_criterion_as_tall_as_its_mean() -> None:
    rubric, agg = _data()
    img = _image(charts.means(rubric, agg))
    baseline = charts.MEANS_HEIGHT - 52 - 1  # one row above the x axis
    bars = _runs(img, [(x, baseline) for x in range(img.width)], {charts.BAR})
    assert len(bars) == len(agg.criteria) == 7
    widths = {length for _, length, _ in bars}
    assert max(widths) - min(widths) <= 1  # equal slots
    # heights: measured a few pixels in from the bar's edge, clear of the whisker in the middle
    heights = [baseline + 1 - _column_top(img, x + 3, baseline, charts.BAR) for x, _, _ in bars]
    means = [c.mean or 0 for c in agg.criteria]
    assert means == pytest.approx([3, 10 / 3, 11 / 3, 4, 13 / 3, 3, 10 / 3])
    per_point = heights[0] / means[0]  # the scale starts at 0, so height ∝ mean
    for height, mean in zip(heights, means, strict=True):
        assert height == pytest.approx(mean * per_point, abs=2)
    assert heights[4] > heights[3] > heights[2] > heights[1] > heights[0]


def test_distribution_splits_each_bar_by_score_in_proportion() -> None:
    _, agg = _data()
    img = _image(charts.distribution(agg))
    colors = charts.score_colors(5)
    assert (
        len(set(colors)) == 5 and colors[0][0] > colors[0][1] and colors[-1][1] > colors[-1][0]
    )  # red → green
    for row, crit in enumerate(agg.criteria):
        y = 48 + row * charts.ROW + charts.ROW // 2 - 9  # above the count written in the middle of a segment
        runs = _runs(img, [(x, y) for x in range(img.width)], set(colors))
        expected = [(colors[int(p) - 1], n) for p, n in crit.distribution.items() if n]
        assert [color for _, _, color in runs] == [color for color, _ in expected], crit.key
        unit = sum(length for _, length, _ in runs) / sum(n for _, n in expected)
        for (_, length, _), (_, n) in zip(runs, expected, strict=True):
            assert length == pytest.approx(n * unit, abs=2)


def test_timeline_draws_a_bar_per_busy_bucket_at_its_minute() -> None:
    _, agg = _data()
    assert [(m.offset, m.count) for m in agg.timeline if m.count] == [(0, 3), (60, 1), (240, 2)]
    img = _image(charts.timeline(agg, 60))
    baseline = charts.TIMELINE_HEIGHT - 64 - 1
    bars = _runs(img, [(x, baseline) for x in range(img.width)], {charts.TIMELINE_BAR})
    assert len(bars) == 3
    starts = [x for x, _, _ in bars]
    minute = (starts[1] - starts[0]) / 1
    assert starts[2] - starts[0] == pytest.approx(4 * minute, abs=2)  # the empty minutes 2 and 3 stay empty
    heights = [baseline + 1 - _column_top(img, x + 2, baseline, charts.TIMELINE_BAR) for x, _, _ in bars]
    assert heights[0] == pytest.approx(3 * heights[1], abs=2)
    assert heights[2] == pytest.approx(2 * heights[1], abs=2)


def test_chinese_titles_are_drawn_with_the_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    drawn: list[str] = []
    real = charts._Canvas.text

    def spy(self: charts._Canvas, xy: tuple[float, float], text: str, *args: object, **kw: object) -> None:
        drawn.append(text)
        real(self, xy, text, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(charts._Canvas, "text", spy)
    rubric, agg = _data()
    charts.render(rubric, agg, bucket_seconds=60)
    assert "教学目标" in drawn and "分钟" in drawn


def test_without_a_cjk_font_labels_fall_back_to_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    drawn: list[str] = []
    real = charts._Canvas.text

    def spy(self: charts._Canvas, xy: tuple[float, float], text: str, *args: object, **kw: object) -> None:
        drawn.append(text)
        real(self, xy, text, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(charts._Canvas, "text", spy)
    rubric, agg = _data()
    out = charts.render(rubric, agg, bucket_seconds=60)
    assert all(_image(png) for png in out.values())
    assert "goals" in drawn and "minutes" in drawn
    assert not any("教学" in s or "分钟" in s for s in drawn)


def test_nice_ticks() -> None:
    assert charts.nice_ticks(0, 5) == [0, 1, 2, 3, 4, 5]
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(0, 13, 10) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert charts.nice_ticks(0, 3, integer=True) == [0, 1, 2, 3]
    assert charts.nice_ticks(0, 0.5, 5) == [0, 0.1, 0.2, 0.3, 0.4, 0.5]
