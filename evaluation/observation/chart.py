"""Charts of an observation run, drawn with Pillow in the CJK font of :mod:`server.fonts`: the instrument's
curve (the S-T curve), its two-metric diagram with the lesson-type regions (the Rt–Ch diagram) and, for
instruments without either, the counts per code. Each observer is drawn thin and grey, the combined result
strong, so disagreement between observers shows."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from evaluation.charts import nice_ticks
from evaluation.observation.analysis import classify
from evaluation.observation.instruments import Instrument
from evaluation.observation.samples import RunAnalysis
from server.fonts import truetype

Color = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

SIZE = 560  # curve and diagram are square: equal steps for T and S keep the S-T curve's 45° meaning
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 24, 48, 56
WHITE: Color = (255, 255, 255)
INK: Color = (34, 34, 34)
GRID: Color = (224, 224, 224)
FAINT: Color = (170, 170, 170)
STRONG: Color = (76, 120, 168)
POINT: Color = (228, 87, 86)
REGION_LINE: Color = (120, 120, 120)


def _hex(color: str) -> Color:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


class _Plot:
    """A square plot area mapping data (x0..x1, y0..y1) to pixels, with axes, ticks and titles."""

    def __init__(self, title: str, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.img = Image.new("RGB", (SIZE, SIZE), WHITE)
        self.draw = ImageDraw.Draw(self.img)
        self.title_font, self.label_font, self.tick_font = truetype(18), truetype(14), truetype(12)
        self.x_range, self.y_range = x_range, y_range
        self.left, self.top = MARGIN_LEFT, MARGIN_TOP
        self.right, self.bottom = SIZE - MARGIN_RIGHT, SIZE - MARGIN_BOTTOM
        self.draw.text((SIZE / 2, 14), title, font=self.title_font, fill=INK, anchor="mt")

    def at(self, x: float, y: float) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        px = self.left + (x - x0) / (x1 - x0) * (self.right - self.left)
        py = self.bottom - (y - y0) / (y1 - y0) * (self.bottom - self.top)
        return px, py

    def axes(self, x_ticks: list[float], y_ticks: list[float], x_title: str, y_title: str) -> None:
        for x in x_ticks:
            px, _ = self.at(x, 0)
            self.draw.line([(px, self.top), (px, self.bottom)], fill=GRID)
            self.draw.text((px, self.bottom + 6), f"{x:g}", font=self.tick_font, fill=INK, anchor="mt")
        for y in y_ticks:
            _, py = self.at(0, y)
            self.draw.line([(self.left, py), (self.right, py)], fill=GRID)
            self.draw.text((self.left - 6, py), f"{y:g}", font=self.tick_font, fill=INK, anchor="rm")
        self.draw.rectangle([self.left, self.top, self.right, self.bottom], outline=INK)
        self.draw.text(
            ((self.left + self.right) / 2, SIZE - 12), x_title, font=self.label_font, fill=INK, anchor="md"
        )
        self.draw.text((8, self.top - 8), y_title, font=self.label_font, fill=INK, anchor="ld")

    def polyline(self, points: list[tuple[float, float]], color: Color, width: int) -> None:
        if len(points) >= 2:
            self.draw.line([self.at(x, y) for x, y in points], fill=color, width=width, joint="curve")

    def dot(self, x: float, y: float, color: Color, radius: float) -> None:
        px, py = self.at(x, y)
        self.draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=color, outline=WHITE)


def curve(spec: Instrument, analysis: RunAnalysis) -> bytes:
    """The S-T curve: right for each T, up for each S, on equal axes; a 45° line is an even lesson."""
    assert spec.curve is not None
    ends = [p for o in analysis.observers for p in o.result.curve[-1:]] + analysis.combined.curve[-1:]
    top = max([1, *(max(p) for p in ends)])
    ticks = nice_ticks(0, top + 1, 8, integer=True)  # a step of headroom: the end is not on the frame
    plot = _Plot(spec.curve.title, (0, ticks[-1]), (0, ticks[-1]))
    plot.axes(ticks, ticks, spec.curve.x_title, spec.curve.y_title)
    plot.polyline([(0, 0), (ticks[-1], ticks[-1])], GRID, 1)
    for o in analysis.observers:
        plot.polyline([(float(x), float(y)) for x, y in o.result.curve], FAINT, 2)
    plot.polyline([(float(x), float(y)) for x, y in analysis.combined.curve], STRONG, 4)
    return _png(plot.img)


def diagram(spec: Instrument, analysis: RunAnalysis) -> bytes:
    """The two-metric diagram (Rt–Ch): the lesson-type regions, each observer's point and the combined one."""
    assert spec.diagram is not None
    mx, my = spec.diagram.x, spec.diagram.y
    x_metric, y_metric = spec.metric(mx), spec.metric(my)
    plot = _Plot(spec.diagram.title, (0, 1), (0, 1))
    ticks = [i / 10 for i in range(11)]
    plot.axes(ticks, ticks, x_metric.title if x_metric else mx, y_metric.title if y_metric else my)
    # region boundaries: every threshold on x is a full vertical line; thresholds on y run between them
    xs = sorted(
        {
            v
            for ty in spec.types
            for k, b in ty.when.items()
            if k == mx
            for v in (b.min, b.max)
            if v is not None
        }
    )
    ys = sorted(
        {
            v
            for ty in spec.types
            for k, b in ty.when.items()
            if k == my
            for v in (b.min, b.max)
            if v is not None
        }
    )
    for x in xs:
        plot.polyline([(x, 0), (x, 1)], REGION_LINE, 2)
    for y in ys:
        plot.polyline([(xs[0] if xs else 0, y), (xs[-1] if xs else 1, y)], REGION_LINE, 2)
    # each type's name at the centre of the grid points it claims
    steps = [i / 40 + 1 / 80 for i in range(40)]
    claimed: dict[str, list[tuple[float, float]]] = {}
    for x in steps:
        for y in steps:
            found = classify(spec, {mx: x, my: y})
            if found is not None:
                claimed.setdefault(found.title, []).append((x, y))
    for title, points in claimed.items():
        cx = sum(p[0] for p in points) / len(points)
        cy = sum(p[1] for p in points) / len(points)
        plot.draw.text(plot.at(cx, cy), title, font=plot.label_font, fill=REGION_LINE, anchor="mm")
    marks = [(o.result, FAINT, 6) for o in analysis.observers] + [(analysis.combined, POINT, 9)]
    for result, color, radius in marks:
        px, py = result.metrics.get(mx), result.metrics.get(my)
        if px is not None and py is not None:
            plot.dot(px, py, color, radius)
    return _png(plot.img)


def counts(spec: Instrument, analysis: RunAnalysis) -> bytes:
    """Horizontal bars: how often each code was chosen (all observers together)."""
    row = 36
    height = MARGIN_TOP + row * len(spec.codes) + 40
    img = Image.new("RGB", (SIZE + 280, height), WHITE)
    draw = ImageDraw.Draw(img)
    title_font, label_font = truetype(18), truetype(14)
    draw.text((img.width / 2, 14), spec.name, font=title_font, fill=INK, anchor="mt")
    most = max([1, *analysis.combined.counts.values()])
    left, right = 200, img.width - 60
    for i, c in enumerate(spec.codes):
        y = MARGIN_TOP + i * row
        n = analysis.combined.counts.get(c.key, 0)
        draw.text((left - 8, y + row / 2), c.title, font=label_font, fill=INK, anchor="rm")
        end = left + (right - left) * n / most
        draw.rectangle([left, y + 6, max(end, left + 1), y + row - 6], fill=_hex(c.color))
        draw.text((end + 6, y + row / 2), str(n), font=label_font, fill=INK, anchor="lm")
    return _png(img)


def render(spec: Instrument, analysis: RunAnalysis) -> dict[str, bytes]:
    """The run's charts as PNG bytes: ``curve`` and ``diagram`` when the instrument has them, else ``counts``."""
    out: dict[str, bytes] = {}
    if spec.curve is not None:
        out["curve"] = curve(spec, analysis)
    if spec.diagram is not None:
        out["diagram"] = diagram(spec, analysis)
    if not out:
        out["counts"] = counts(spec, analysis)
    return out
