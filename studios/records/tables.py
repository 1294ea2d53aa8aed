"""The records' reports as rows for the CSV and XLSX exports, headed in the reader's language."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from studios.records.export import Cell, clock
from studios.records.reports import ActivityOut, DashboardOut, StudioRecordsOut, TeacherOut

LANGS = ("zh-CN", "en")
Table = tuple[str, list[str], list[list[Cell]]]  # sheet title, header, rows


@cache
def _labels(lang: str) -> dict[str, str]:
    raw = (resources.files("studios.records") / "locales" / f"{lang}.json").read_text(encoding="utf-8")
    return dict(json.loads(raw))


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def activity_table(a: ActivityOut, tz: ZoneInfo, lang: str) -> Table:
    t = _labels(lang)
    keys = ["name", "school", "role", "venues", "first_join", "last_leave", "stays", "present_min", "length_min",
            "ratio", "counted", "hours", "notes", "scores", "chat", "seat_min"]  # fmt: skip
    rows: list[list[Cell]] = []
    for p in a.people:
        first = p.stays[0].start if p.stays else None
        last = p.stays[-1].end if p.stays else None
        rows.append([
            p.name, p.school, "、".join(p.roles or ([p.member_role] if p.member_role else [])), "、".join(p.venues),
            clock(first, tz), clock(last, tz), len(p.stays), _minutes(p.present_seconds), _minutes(a.length_seconds),
            round(p.ratio, 3), t["yes"] if p.counted else t["no"], p.hours, p.notes, p.scores, p.chat_messages,
            _minutes(p.seat_seconds),
        ])  # fmt: skip
    return t["sheet_activity"], [t[k] for k in keys], rows


def teacher_table(r: TeacherOut, tz: ZoneInfo, lang: str) -> Table:
    t = _labels(lang)
    keys = ["name", "activity", "first_join", "last_leave", "present_min", "length_min", "ratio", "counted",
            "hours", "role", "school"]  # fmt: skip
    rows: list[list[Cell]] = [
        [r.name, ln.title, clock(ln.first_join, tz), clock(ln.last_leave, tz), _minutes(ln.present_seconds),
         _minutes(ln.length_seconds), round(ln.ratio, 3), t["yes"] if ln.counted else t["no"], ln.hours, ln.role,
         ln.school]
        for ln in r.lines
    ]  # fmt: skip
    return t["sheet_teacher"], [t[k] for k in keys], rows


def studio_table(r: StudioRecordsOut, lang: str) -> Table:
    """Per teacher across a studio: activities, counted ones, hours."""
    t = _labels(lang)
    keys = ["name", "school", "studio_role", "activities", "counted", "hours", "present_h"]
    rows: list[list[Cell]] = [
        [p.name, p.school, t.get(f"studio_role_{p.studio_role}", ""), p.activities, p.counted, p.hours,
         round(p.present_seconds / 3600, 2)]
        for p in r.members
    ]  # fmt: skip
    return t["sheet_studio"], [t[k] for k in keys], rows


def dashboard_table(d: DashboardOut, lang: str) -> Table:
    t = _labels(lang)
    keys = ["kind", "name", "activities", "attendances", "teachers", "hours", "resources"]
    rows: list[list[Cell]] = []
    for kind, items in (("total", [d.totals]), ("studio", d.studios), ("school", d.schools)):
        for c in items:
            name = c.name if kind != "total" else t["kind_total"]
            rows.append(
                [t[f"kind_{kind}"], name, c.activities, c.attendances, c.teachers, c.hours, c.resources]
            )
    return t["sheet_dashboard"], [t[k] for k in keys], rows
