"""Tables of the evaluation package: rubric versions, per-room settings, notes, evaluations."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, now


class RubricVersion(Base):
    """One immutable version of a room's rubric; editing a rubric adds a version, scores keep theirs."""

    __tablename__ = "eval_rubrics"
    __table_args__ = (UniqueConstraint("room_id", "version", name="uq_eval_rubrics_room_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    template: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text)  # JSON of evaluation.rubrics.RubricBody
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[float] = mapped_column(Float, default=now)


class EvaluationSettings(Base):
    """Per-room choices of the host (anonymous mode)."""

    __tablename__ = "eval_settings"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class SegmentState(Base):
    """Evaluation of one lesson segment: open until the host closes it."""

    __tablename__ = "eval_segments"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    closed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Note(Base):
    """An observation note (课堂观察记录). ``client_id`` makes offline retries idempotent."""

    __tablename__ = "eval_notes"
    __table_args__ = (UniqueConstraint("room_id", "author_id", "client_id", name="uq_eval_notes_client"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    segment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[float] = mapped_column(Float)  # program time: when the observed moment happened
    venue_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # main venue at ``at``
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    criterion: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shared_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class Evaluation(Base):
    """One observer's scores for one lesson segment, against one rubric version."""

    __tablename__ = "eval_evaluations"
    __table_args__ = (
        UniqueConstraint("room_id", "segment_id", "observer_id", name="uq_eval_evaluations_observer"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[str] = mapped_column(String(64))
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rubric_id: Mapped[str] = mapped_column(ForeignKey("eval_rubrics.id"))
    scores: Mapped[str] = mapped_column(Text)  # JSON {criterion_key: {"score": x, "comment": "…"}}
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class ObservationRun(Base):
    """One instrument used on one lesson segment; every observer codes into the same run, so their
    interval samples line up slot by slot (slot k is ``started_at + k × interval_seconds``)."""

    __tablename__ = "eval_observation_runs"
    __table_args__ = (
        UniqueConstraint("room_id", "segment_id", "instrument", name="uq_eval_observation_runs_segment"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[str] = mapped_column(String(64))
    instrument: Mapped[str] = mapped_column(String(64))
    interval_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[float] = mapped_column(Float)
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ObservationSample(Base):
    """One observer's code for one slot (interval instruments) or one event; ``client_id`` makes retries
    idempotent (``slot-<k>`` for a slot, so re-coding a slot corrects it)."""

    __tablename__ = "eval_observation_samples"
    __table_args__ = (
        UniqueConstraint("run_id", "observer_id", "client_id", name="uq_eval_observation_samples_client"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("eval_observation_runs.id", ondelete="CASCADE"), index=True
    )
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    code: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float)  # program time of the coded moment
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)
