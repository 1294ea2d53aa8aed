"""Chart images for reports (PNG, matplotlib's Agg canvas, no pyplot state), with a CJK font when one exists.

Without a CJK font on the system, labels fall back to criterion keys so no glyph renders as a box.
"""

from __future__ import annotations

import io
import logging
from functools import cache

import matplotlib
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from evaluation.aggregate import Aggregate
from evaluation.labels import t
from evaluation.rubrics import RubricBody

log = logging.getLogger(__name__)

PREFERRED_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "Droid Sans Fallback",
)  # fmt: skip


@cache
def cjk_font() -> str | None:
    """Name of an installed font that has Chinese glyphs, or ``None``."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED_FONTS:
        if name in names:
            return name
    found = sorted(n for n in names if "CJK" in n and ("SC" in n or "CN" in n)) or sorted(
        n for n in names if "CJK" in n
    )
    if not found:
        log.warning("no CJK font found: report charts use criterion keys instead of Chinese titles")
    return found[0] if found else None


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _label(text: str, fallback: str) -> str:
    return text if cjk_font() else fallback


def render(rubric: RubricBody, agg: Aggregate, *, bucket_seconds: float) -> dict[str, bytes]:
    """``means``, ``distribution`` and (when there are tagged notes) ``timeline`` charts as PNG bytes."""
    font = cjk_font()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        charts = {"means": _means(rubric, agg), "distribution": _distribution(rubric, agg)}
        if agg.timeline:
            charts["timeline"] = _timeline(agg, bucket_seconds)
    return charts


def _means(rubric: RubricBody, agg: Aggregate) -> bytes:
    fig = _figure(7, 3.6)
    ax = fig.add_subplot()
    labels = [_label(c.title, c.key) for c in agg.criteria]
    means = [c.mean or 0 for c in agg.criteria]
    errs = [c.stdev or 0 for c in agg.criteria]
    ax.bar(labels, means, yerr=errs, capsize=4, color="#4C78A8")
    ax.set_ylim(min(rubric.scale.min, 0), rubric.scale.max)
    ax.set_title(_label(t("chart_means"), "mean by criterion (error bar = stdev)"))
    ax.tick_params(axis="x", labelrotation=20)
    return _png(fig)


def _distribution(rubric: RubricBody, agg: Aggregate) -> bytes:
    fig = _figure(7, 0.5 * len(agg.criteria) + 1.4)
    ax = fig.add_subplot()
    labels = [_label(c.title, c.key) for c in agg.criteria]
    left = [0] * len(agg.criteria)
    points = list(agg.criteria[0].distribution) if agg.criteria else []
    cmap = _colors(len(points))
    for i, point in enumerate(points):
        counts = [c.distribution.get(point, 0) for c in agg.criteria]
        ax.barh(labels, counts, left=left, label=point, color=cmap[i])
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.legend(
        title=_label(t("score"), "score"),
        ncols=min(len(points), 6),
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(_label(t("chart_distribution"), "score distribution"))
    return _png(fig)


def _colors(n: int) -> list[tuple[float, float, float, float]]:
    cmap = colormaps["RdYlGn"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def _timeline(agg: Aggregate, bucket_seconds: float) -> bytes:
    fig = _figure(7, 2.6)
    ax = fig.add_subplot()
    minutes = [m.offset / 60 for m in agg.timeline]
    ax.bar(
        minutes,
        [m.count for m in agg.timeline],
        width=bucket_seconds / 60 * 0.9,
        align="edge",
        color="#F58518",
    )
    ax.set_xlabel(_label("分钟", "minutes"))
    ax.set_title(_label(t("chart_timeline", seconds=f"{bucket_seconds:g}"), "tagged notes over time"))
    return _png(fig)
