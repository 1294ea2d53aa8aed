"""Chart images for reports: PNGs drawn with Pillow in the CJK font of :mod:`server.fonts`.

Three bar charts — criterion means with a standard-deviation whisker, the stacked score distribution
per criterion, and tagged notes over time — need rectangles, lines and text, not a plotting library
(matplotlib and numpy cost 60 MB of disk and 35 MB of memory per report). Without a CJK font on the
system, labels fall back to criterion keys so no glyph is drawn as a box.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from evaluation.aggregate import Aggregate
from evaluation.labels import t
from evaluation.rubrics import RubricBody
from server.fonts import cjk_font, truetype

Color = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH = 840
MEANS_HEIGHT = 440
TIMELINE_HEIGHT = 320
ROW = 40  # one criterion's row in the distribution chart
BAR: Color = (76, 120, 168)  # #4C78A8
TIMELINE_BAR: Color = (245, 133, 24)  # #F58518
WHITE: Color = (255, 255, 255)
INK: Color = (34, 34, 34)
GRID: Color = (224, 224, 224)
# ColorBrewer RdYlGn anchors: the lowest score red, the highest green, interpolated for any scale.
RDYLGN: tuple[Color, ...] = ((165, 0, 38), (244, 109, 67), (254, 224, 139), (166, 217, 106), (26, 152, 80))
TITLE_SIZE, LABEL_SIZE, TICK_SIZE = 18, 14, 12


def render(rubric: RubricBody, agg: Aggregate, *, bucket_seconds: float) -> dict[str, bytes]:
    """``means``, ``distribution`` and (when there are tagged notes) ``timeline`` charts as PNG bytes."""
    charts = {"means": means(rubric, agg), "distribution": distribution(agg)}
    if agg.timeline:
        charts["timeline"] = timeline(agg, bucket_seconds)
    return charts


def distribution_height(criteria: int) -> int:
    return 48 + ROW * max(criteria, 1) + 34 + 56  # title, rows, axis, legend


def _label(text: str, fallback: str) -> str:
    return text if cjk_font() else fallback


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def nice_ticks(lo: float, hi: float, most: int = 8, *, integer: bool = False) -> list[float]:
    """Round tick values from ``lo`` to at least ``hi``: steps of 1, 2 or 5 × 10ⁿ, at most ``most`` + 1."""
    span = max(hi - lo, 1e-9)
    step = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= most:
            step *= factor
            break
    if integer:
        step = max(1, round(step))
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value < hi + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}"


@dataclass
class _Canvas:
    """One chart: a white image, its fonts, and the plot rectangle values are mapped into."""

    img: Image.Image
    draw: ImageDraw.ImageDraw
    title_font: Font
    label_font: Font
    tick_font: Font

    @classmethod
    def new(cls, width: int, height: int) -> _Canvas:
        img = Image.new("RGB", (width, height), WHITE)
        return cls(img, ImageDraw.Draw(img), truetype(TITLE_SIZE), truetype(LABEL_SIZE), truetype(TICK_SIZE))

    def width_of(self, text: str, font: Font) -> float:
        return self.draw.textlength(text, font=font)

    def text(self, xy: tuple[float, float], text: str, font: Font, anchor: str, fill: Color = INK) -> None:
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor)

    def title(self, text: str) -> None:
        self.text((self.img.width / 2, 14), text, self.title_font, "mt")


def _wrap(canvas: _Canvas, text: str, font: Font, width: float, lines: int = 2) -> list[str]:
    """``text`` broken into at most ``lines`` lines of ``width`` pixels (CJK breaks anywhere), the last cut with …."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        cut = len(rest)
        while cut > 1 and canvas.width_of(rest[:cut], font) > width:
            cut -= 1
        out.append(rest[:cut])
        rest = rest[cut:].lstrip()
    if rest and out:
        last = out[-1]
        while len(last) > 1 and canvas.width_of(last + "…", font) > width:
            last = last[:-1]
        out[-1] = last + "…"
    return out


def means(rubric: RubricBody, agg: Aggregate) -> bytes:
    """Vertical bars of each criterion's mean on the rubric's scale, with a ±1 standard deviation whisker."""
    c = _Canvas.new(WIDTH, MEANS_HEIGHT)
    c.title(_label(t("chart_means"), "mean by criterion (error bar = stdev)"))
    ticks = nice_ticks(min(rubric.scale.min, 0), rubric.scale.max)
    lo, hi = ticks[0], ticks[-1]
    left = 16 + max(c.width_of(_tick_text(v), c.tick_font) for v in ticks)
    right, top, bottom = WIDTH - 16, 48, MEANS_HEIGHT - 52

    def y(value: float) -> float:
        return bottom - (min(max(value, lo), hi) - lo) / (hi - lo) * (bottom - top)

    for value in ticks:
        c.draw.line([(left, y(value)), (right, y(value))], fill=GRID)
        c.text((left - 6, y(value)), _tick_text(value), c.tick_font, "rm")
    slot = (right - left) / max(len(agg.criteria), 1)
    for i, crit in enumerate(agg.criteria):
        x0 = left + i * slot + slot * 0.15
        x1 = left + (i + 1) * slot - slot * 0.15
        mean = crit.mean or 0
        if mean > lo:
            c.draw.rectangle([round(x0), round(y(mean)), round(x1), round(bottom)], fill=BAR)
        if crit.stdev:
            mid, cap = (x0 + x1) / 2, min(slot * 0.1, 8)
            y_lo, y_hi = y(mean - crit.stdev), y(mean + crit.stdev)
            c.draw.line([(mid, y_lo), (mid, y_hi)], fill=INK, width=2)
            c.draw.line([(mid - cap, y_lo), (mid + cap, y_lo)], fill=INK, width=2)
            c.draw.line([(mid - cap, y_hi), (mid + cap, y_hi)], fill=INK, width=2)
        for n, line in enumerate(_wrap(c, _label(crit.title, crit.key), c.label_font, slot - 6)):
            c.text((left + (i + 0.5) * slot, bottom + 8 + n * (LABEL_SIZE + 4)), line, c.label_font, "mt")
    c.draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK)
    return _png(c.img)


def score_colors(n: int) -> list[Color]:
    """``n`` colours from red (lowest score) through yellow to green (highest), ColorBrewer's RdYlGn."""
    out = []
    for i in range(n):
        pos = i / max(n - 1, 1) * (len(RDYLGN) - 1)
        a, b = RDYLGN[math.floor(pos)], RDYLGN[math.ceil(pos)]
        frac = pos - math.floor(pos)
        out.append((round(a[0] + (b[0] - a[0]) * frac), round(a[1] + (b[1] - a[1]) * frac),
                    round(a[2] + (b[2] - a[2]) * frac)))  # fmt: skip
    return out


def _ink_on(color: Color) -> Color:
    return INK if 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2] > 150 else WHITE


def distribution(agg: Aggregate) -> bytes:
    """One horizontal bar per criterion, split by how many observers gave each scale point."""
    height = distribution_height(len(agg.criteria))
    c = _Canvas.new(WIDTH, height)
    c.title(_label(t("chart_distribution"), "score distribution"))
    points = list(agg.criteria[0].distribution) if agg.criteria else []
    colors = score_colors(len(points))
    most = max((sum(crit.distribution.values()) for crit in agg.criteria), default=0)
    ticks = nice_ticks(0, max(most, 1), integer=True)
    labels = [_label(crit.title, crit.key) for crit in agg.criteria]
    label_width = min(max((c.width_of(s, c.label_font) for s in labels), default=0), WIDTH / 3)
    left = 24 + label_width
    right, top = WIDTH - 24, 48
    bottom = top + ROW * max(len(agg.criteria), 1)

    def x(count: float) -> float:
        return left + count / ticks[-1] * (right - left)

    for value in ticks:
        c.draw.line([(x(value), top), (x(value), bottom)], fill=GRID)
        c.text((x(value), bottom + 6), _tick_text(value), c.tick_font, "mt")
    for i, (crit, label) in enumerate(zip(agg.criteria, labels, strict=True)):
        y0, y1 = top + i * ROW + 6, top + (i + 1) * ROW - 6
        c.text(
            (left - 8, (y0 + y1) / 2),
            _wrap(c, label, c.label_font, label_width, lines=1)[0],
            c.label_font,
            "rm",
        )
        done = 0
        for point, color in zip(points, colors, strict=True):
            count = crit.distribution.get(point, 0)
            if not count:
                continue
            x0, x1 = round(x(done)), round(x(done + count))
            c.draw.rectangle([x0, y0, x1 - 1, y1], fill=color)
            if x1 - x0 > 2 * TICK_SIZE:
                c.text(((x0 + x1) / 2, (y0 + y1) / 2), str(count), c.tick_font, "mm", fill=_ink_on(color))
            done += count
    c.draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK)
    _legend(c, _label(t("score"), "score"), points, colors, bottom + 30)
    return _png(c.img)


def _legend(c: _Canvas, title: str, points: Sequence[str], colors: Sequence[Color], top: float) -> None:
    swatch, gap = 14, 18
    items = [(p, col, swatch + 6 + c.width_of(p, c.tick_font)) for p, col in zip(points, colors, strict=True)]
    title_width = c.width_of(title, c.label_font) + gap
    x = (WIDTH - title_width - sum(w for *_, w in items) - gap * max(len(items) - 1, 0)) / 2
    mid = top + swatch / 2
    c.text((x, mid), title, c.label_font, "lm")
    x += title_width
    for point, color, width in items:
        c.draw.rectangle([round(x), round(top), round(x) + swatch, round(top) + swatch], fill=color)
        c.text((x + swatch + 6, mid), point, c.tick_font, "lm")
        x += width + gap


def timeline(agg: Aggregate, bucket_seconds: float) -> bytes:
    """Tagged notes per time bucket, minutes from the first note along the bottom."""
    c = _Canvas.new(WIDTH, TIMELINE_HEIGHT)
    c.title(_label(t("chart_timeline", seconds=f"{bucket_seconds:g}"), "tagged notes over time"))
    bucket = bucket_seconds / 60
    end = max((m.offset / 60 + bucket for m in agg.timeline), default=bucket)
    x_ticks = nice_ticks(0, end, 10)
    y_ticks = nice_ticks(0, max((m.count for m in agg.timeline), default=1), 5, integer=True)
    left = 16 + max(c.width_of(_tick_text(v), c.tick_font) for v in y_ticks)
    right, top, bottom = WIDTH - 24, 48, TIMELINE_HEIGHT - 64

    def x(minutes: float) -> float:
        return left + minutes / x_ticks[-1] * (right - left)

    def y(count: float) -> float:
        return bottom - count / y_ticks[-1] * (bottom - top)

    for value in y_ticks:
        c.draw.line([(left, y(value)), (right, y(value))], fill=GRID)
        c.text((left - 6, y(value)), _tick_text(value), c.tick_font, "rm")
    for value in x_ticks:
        c.draw.line([(x(value), bottom), (x(value), bottom + 4)], fill=INK)
        c.text((x(value), bottom + 6), _tick_text(value), c.tick_font, "mt")
    for m in agg.timeline:
        start = m.offset / 60
        if m.count:
            x0, x1 = round(x(start)), round(x(start + bucket * 0.9))
            c.draw.rectangle([x0, round(y(m.count)), max(x1 - 1, x0), round(bottom)], fill=TIMELINE_BAR)
    c.draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK)
    c.text(((left + right) / 2, bottom + 28), _label("分钟", "minutes"), c.label_font, "mt")
    return _png(c.img)
