"""The evaluation report of one lesson segment, as data: what the DOCX, HTML and CSV writers render.

The report's tables are built here once (:class:`Table`), so the Word and HTML documents show the same
cells and only differ in how they draw them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evaluation import summary
from evaluation.aggregate import Aggregate
from evaluation.labels import kind_label, t
from evaluation.notes import NoteOut
from evaluation.observation import samples as observation
from evaluation.observation.analysis import Result
from evaluation.observation.samples import RunAnalysis
from evaluation.program import check_segment, segment_title
from evaluation.rubrics import Rubric
from evaluation.scores import EvaluationOut
from rooms.api import Room
from server.context import AppContext
from server.db import now
from server.errors import NotFound


@dataclass
class NoteLine:
    clock: str  # HH:MM:SS in the report's time zone
    offset: str  # mm:ss from the first note of the segment
    venue: str
    kind: str
    criterion: str
    author: str
    text: str


@dataclass(frozen=True)
class Table:
    head: list[str]
    rows: list[list[str]]


@dataclass
class Report:
    room_title: str
    segment_id: str
    segment_title: str | None
    rubric: Rubric
    aggregate: Aggregate
    anonymous: bool
    evaluations: list[EvaluationOut]
    notes: list[NoteLine]
    charts: dict[str, bytes]
    generated: str
    bucket_seconds: float
    observations: list[RunAnalysis] = field(default_factory=list)
    observation_charts: dict[str, dict[str, bytes]] = field(default_factory=dict)  # run id -> charts

    @property
    def segment(self) -> str:
        return f"{self.segment_title}（{self.segment_id}）" if self.segment_title else self.segment_id

    def observer(self, index: int, e: EvaluationOut) -> str:
        if self.anonymous or not e.observer_name:
            return t("anonymous_observer", n=index + 1)
        return e.observer_name

    def criterion_title(self, key: str | None) -> str:
        c = self.rubric.criterion(key) if key else None
        return c.title if c else (key or "")

    def meta(self) -> list[str]:
        """Segment, rubric (with its version) and when the report was made."""
        return [
            f"{t('segment')}：{self.segment}",
            f"{t('rubric')}：{self.rubric.name}（{t('version')} {self.rubric.version}）",
            f"{t('generated_at')}：{self.generated}",
        ]

    def summary_table(self) -> Table:
        agg = self.aggregate
        percent = fmt(agg.weighted_percent, 1) + "%" if agg.weighted_percent is not None else ""
        return Table(
            [t("evaluations"), t("weighted_total"), t("weighted_percent")],
            [[str(agg.count), fmt(agg.weighted_total), percent]],
        )

    def criteria_table(self) -> Table:
        return Table(
            [t("criterion"), t("weight"), t("mean"), t("stdev"), t("min"), t("max"), t("distribution")],
            [
                [c.title, f"{c.weight:g}", fmt(c.mean), fmt(c.stdev), fmt(c.min, 1), fmt(c.max, 1),
                 " ".join(f"{k}:{v}" for k, v in c.distribution.items())]
                for c in self.aggregate.criteria
            ],
        )  # fmt: skip

    def scores_table(self, e: EvaluationOut) -> Table:
        return Table(
            [t("criterion"), t("score"), t("comment")],
            [[self.criterion_title(s.criterion), f"{s.score:g}", s.comment] for s in e.scores],
        )

    def notes_table(self) -> Table:
        return Table(
            [t("time"), t("venue"), t("kind"), t("criterion"), t("author"), t("text")],
            [
                [f"{n.clock}（{n.offset}）", n.venue, n.kind, n.criterion, n.author, n.text]
                for n in self.notes
            ],
        )

    def observation_meta(self, a: RunAnalysis) -> list[str]:
        """Method, sampling interval, observers and their agreement of one observation run."""
        out = [f"{t('observation_method')}：{a.instrument.method or a.instrument.name}"]
        if a.run.interval_seconds:
            out.append(
                f"{t('observation_interval')}：{t('observation_seconds', seconds=f'{a.run.interval_seconds:g}')}"
            )
        out.append(f"{t('observation_observers')}：{len(a.observers)}")
        if a.agreement is not None:
            out.append(f"{t('observation_agreement')}：{a.agreement:.1f}%")
        return out

    def observation_table(self, a: RunAnalysis) -> Table:
        """One row per observer and one combined row: samples, counts per code, metrics, runs, lesson type."""
        spec = a.instrument
        head = [t("observer_col"), t("observation_samples"), *(c.title for c in spec.codes)]
        head += [m.title for m in spec.metrics]
        transitions = any(m.kind == "transitions" for m in spec.metrics)
        head += [t("observation_runs")] if transitions else []
        head += [t("observation_type")] if spec.types else []

        def row(name: str, r: Result) -> list[str]:
            cells = [name, str(r.n), *(str(r.counts.get(c.key, 0)) for c in spec.codes)]
            cells += [fmt(r.metrics.get(m.key), 3) for m in spec.metrics]
            cells += [str(r.runs)] if transitions else []
            cells += [r.type_title or ""] if spec.types else []
            return cells

        combined = t("observation_combined") if spec.mode == "interval" else t("observation_pooled")
        return Table(head, [*(row(o.observer, o.result) for o in a.observers), row(combined, a.combined)])


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def clock(ts: float, zone: ZoneInfo | None, fmt: str = "%H:%M:%S") -> str:
    return datetime.fromtimestamp(ts, zone).strftime(fmt)


def mmss(seconds: float) -> str:
    s = max(int(seconds), 0)
    return f"{s // 60:02d}:{s % 60:02d}"


def note_lines(notes: list[NoteOut], rubric: Rubric, zone: ZoneInfo | None) -> list[NoteLine]:
    origin = min((n.at for n in notes), default=0.0)
    out = []
    for n in notes:
        c = rubric.criterion(n.criterion) if n.criterion else None
        out.append(
            NoteLine(
                clock=clock(n.at, zone),
                offset=mmss(n.at - origin),
                venue=n.venue_id or "",
                kind=kind_label(n.kind.value if n.kind else None),
                criterion=c.title if c else "",
                author=n.author_name,
                text=n.text,
            )  # fmt: skip
        )
    return out


async def build(ctx: AppContext, room_id: str, segment_id: str, *, rubric_id: str | None = None) -> Report:
    await check_segment(ctx, room_id, segment_id)  # 404 for another room's (or an unknown agenda) segment
    data = await summary.load(ctx, room_id, segment_id, rubric_id=rubric_id)
    if data.rubric is None or data.summary.aggregate is None:
        raise NotFound("the room has no rubric yet", code="no_rubric")
    async with ctx.db.session() as session:
        room = await session.get(Room, room_id)
        seg_title = await segment_title(session, room_id, segment_id)
    zone = _zone(ctx.settings.evaluation_timezone)
    bucket = ctx.settings.evaluation_moment_seconds
    # The charts draw with Pillow, imported by the first report rather than at start-up (issue #18: idle RSS)
    from evaluation import charts
    from evaluation.observation import chart as observation_chart

    images = await asyncio.to_thread(
        charts.render, data.rubric, data.summary.aggregate, bucket_seconds=bucket
    )
    observed = await observation.of_segment(ctx, room_id, segment_id)
    observed_charts = {
        a.run.id: await asyncio.to_thread(observation_chart.render, a.instrument, a) for a in observed
    }
    return Report(
        room_title=room.title if room else room_id, segment_id=segment_id, segment_title=seg_title, rubric=data.rubric,
        aggregate=data.summary.aggregate, anonymous=data.summary.anonymous, evaluations=data.evaluations,
        notes=note_lines(data.notes, data.rubric, zone), charts=images,
        generated=clock(now(), zone, "%Y-%m-%d %H:%M"), bucket_seconds=bucket, observations=observed,
        observation_charts=observed_charts,
    )  # fmt: skip


def fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"
