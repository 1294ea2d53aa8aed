"""Observation instruments as data (``evaluation/templates/observation/*.json``).

An instrument says what the observer codes and what is computed from the codes, so a new instrument is a
new JSON file, not new code:

- ``mode``: ``interval`` (time sampling: every ``interval_seconds`` the observer codes the moment, as in
  the S-T method) or ``event`` (the observer codes each event as it happens, e.g. each question asked);
- ``codes``: the categories, each with a keyboard shortcut and a colour;
- ``metrics``: ``share`` (samples coded with one of ``codes`` ÷ all samples, e.g. Rt = N_T / N) or
  ``transitions`` ((number of runs − 1) ÷ N, e.g. Ch);
- ``types``: lesson types by metric thresholds, the first matching one wins (``when: {}`` matches all);
- ``curve``: a walk that steps right for ``x`` codes and up for ``y`` codes (the S-T curve);
- ``diagram``: a point at two metrics (the Rt–Ch diagram).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field, FiniteFloat, model_validator

from server.errors import NotFound

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class Code(BaseModel):
    key: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=40)
    hint: str = Field(default="", max_length=400)
    shortcut: str | None = Field(default=None, pattern=r"^[a-z0-9]$")
    color: str = Field(default="#4C78A8", pattern=r"^#[0-9A-Fa-f]{6}$")


class Metric(BaseModel):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=60)
    kind: Literal["share", "transitions"]
    codes: list[str] = Field(default_factory=list)


class Bound(BaseModel):
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min - 1e-9) and (
            self.max is None or value <= self.max + 1e-9
        )


class LessonType(BaseModel):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=40)
    when: dict[str, Bound] = Field(default_factory=dict)


class Curve(BaseModel):
    title: str
    x: list[str] = Field(min_length=1)
    y: list[str] = Field(min_length=1)
    x_title: str = ""
    y_title: str = ""


class Diagram(BaseModel):
    title: str
    x: str
    y: str


class Instrument(BaseModel):
    """One observation instrument (a shipped template)."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    method: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)
    mode: Literal["interval", "event"]
    interval_seconds: FiniteFloat | None = Field(default=None, ge=5, le=600)
    prompt: str = Field(default="", max_length=200)
    codes: list[Code] = Field(min_length=2, max_length=20)
    metrics: list[Metric] = Field(default_factory=list, max_length=20)
    types: list[LessonType] = Field(default_factory=list, max_length=20)
    curve: Curve | None = None
    diagram: Diagram | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        codes = [c.key for c in self.codes]
        if len(set(codes)) != len(codes):
            raise ValueError("code keys must be unique")
        shortcuts = [c.shortcut for c in self.codes if c.shortcut]
        if len(set(shortcuts)) != len(shortcuts):
            raise ValueError("shortcuts must be unique")
        if self.mode == "interval" and self.interval_seconds is None:
            raise ValueError("an interval instrument needs interval_seconds")
        metrics = {m.key for m in self.metrics}
        used = [c for m in self.metrics for c in m.codes]
        if self.curve is not None:
            used += self.curve.x + self.curve.y
        unknown = set(used) - set(codes)
        if unknown:
            raise ValueError(f"unknown codes {sorted(unknown)}")
        named = [k for ty in self.types for k in ty.when]
        named += [self.diagram.x, self.diagram.y] if self.diagram else []
        if set(named) - metrics:
            raise ValueError(f"unknown metrics {sorted(set(named) - metrics)}")
        return self

    def code(self, key: str) -> Code | None:
        return next((c for c in self.codes if c.key == key), None)

    def metric(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)


TEMPLATE_FILES = ("st.json", "questions.json")


@cache
def instruments() -> dict[str, Instrument]:
    """The shipped instruments, keyed by instrument key."""
    folder = resources.files("evaluation") / "templates" / "observation"
    out: dict[str, Instrument] = {}
    for name in TEMPLATE_FILES:
        found = Instrument.model_validate(json.loads((folder / name).read_text(encoding="utf-8")))
        out[found.key] = found
    return out


def instrument(key: str) -> Instrument:
    found = instruments().get(key)
    if found is None:
        raise NotFound(f"no observation instrument {key!r}", code="instrument_not_found")
    return found
