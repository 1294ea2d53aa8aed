"""What the cycle view shows: the drafts with what changed between them, each step's recordings, rubric
averages per criterion trial over trial, and the observation (S-T …) results side by side."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from collab.diff import diff_docs, diff_text
from collab.models import DocVersion
from collab.prosemirror import read_state
from evaluation import rubrics
from evaluation.aggregate import ScoreSheet, criterion_stats
from evaluation.models import Evaluation
from evaluation.observation import samples
from media.api import Recording
from rooms.api import Room
from server.context import AppContext
from studios.models import StudioRoom
from studios.schemas import DraftOut, TrialOut


async def drafts(ctx: AppContext, steps: list[StudioRoom]) -> tuple[list[DraftOut], list[DocVersion]]:
    """Each closed step's final version, then the last step's latest version when it is newer."""
    out: list[DraftOut] = []
    rows: list[DocVersion] = []
    async with ctx.db.session() as session:
        for step in steps:
            version: DocVersion | None = None
            if step.final_version_id is not None:
                version = await session.get(DocVersion, step.final_version_id)
            elif step.doc_id is not None and step is steps[-1]:
                version = await session.scalar(
                    select(DocVersion).where(DocVersion.doc_id == step.doc_id)
                    .order_by(DocVersion.number.desc()).limit(1)
                )  # fmt: skip
            if version is None or step.doc_id is None:
                continue
            if rows and version.number <= rows[-1].number:
                continue  # the step changed nothing: its draft is the one before
            rows.append(version)
            out.append(DraftOut(number=version.number, name=version.name, room_id=step.room_id,
                                doc_id=version.doc_id, version_id=version.id, created_at=version.created_at))  # fmt: skip
    return out, rows


def diffs(rows: list[DocVersion], out: list[DraftOut]) -> list[dict[str, Any]]:
    result = []
    for (a, da), (b, db) in zip(
        zip(rows, out, strict=True), zip(rows[1:], out[1:], strict=True), strict=False
    ):
        sections = diff_docs(read_state(a.state), read_state(b.state))
        result.append({"from": da.name, "to": db.name, "from_number": da.number, "to_number": db.number,
                       "sections": sections, "text": diff_text(sections)})  # fmt: skip
    return result


async def trial(ctx: AppContext, room: Room, step: StudioRoom) -> TrialOut:
    async with ctx.db.session() as session:
        recordings = list(
            await session.scalars(
                select(Recording).where(Recording.room_id == room.id).order_by(Recording.started_at)
            )
        )
        rubric = await rubrics.current(session, room.id)
        raw = (
            list(await session.scalars(select(Evaluation.scores).where(
                Evaluation.room_id == room.id, Evaluation.rubric_id == rubric.id)))
            if rubric is not None else []
        )  # fmt: skip
    rubric_out = None
    if rubric is not None:
        sheets = [ScoreSheet({k: float(v["score"]) for k, v in json.loads(s).items()}) for s in raw]
        stats = criterion_stats(rubric, sheets)
        rubric_out = {
            "name": rubric.name, "evaluations": len(sheets),
            "scale": rubric.scale.model_dump(),
            "criteria": [{"key": c.key, "title": c.title, "mean": c.mean, "count": c.count} for c in stats],
        }  # fmt: skip
    observation = []
    for run in await samples.runs(ctx, room.id):
        analysis = await samples.analysis(ctx, room.id, run.id)
        observation.append({
            "run_id": run.id, "segment_id": run.segment_id, "instrument": run.instrument,
            "instrument_name": analysis.instrument.name, "observers": len(analysis.observers),
            "metrics": [{"key": m.key, "title": m.title} for m in analysis.instrument.metrics],
            "codes": [{"key": c.key, "title": c.title} for c in analysis.instrument.codes],
            "result": analysis.combined.model_dump(), "agreement": analysis.agreement,
        })  # fmt: skip
    return TrialOut(
        room_id=room.id, title=room.title, stage=step.stage, position=step.position or 0, starts_at=room.starts_at,
        recordings=[{
            "id": r.id, "source": r.source, "status": r.status, "started_at": r.started_at,
            "duration": r.duration, "size": r.size, "content_type": r.content_type,
            "url": f"/api/recordings/{r.id}/file",
        } for r in recordings],
        rubric=rubric_out, observation=observation,
    )  # fmt: skip


def criteria_over_trials(trials: list[TrialOut]) -> list[dict[str, Any]]:
    """One line per criterion (by key, in first-seen order): its mean in each step, ``None`` where unscored."""
    order: dict[str, str] = {}
    for t in trials:
        for c in (t.rubric or {}).get("criteria", []):
            order.setdefault(c["key"], c["title"])
    lines = []
    for key, title in order.items():
        values = []
        for t in trials:
            found = next((c for c in (t.rubric or {}).get("criteria", []) if c["key"] == key), None)
            values.append(found["mean"] if found else None)
        lines.append({"key": key, "title": title, "means": values})
    return lines
