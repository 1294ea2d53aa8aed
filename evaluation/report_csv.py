"""Raw data as CSV, UTF-8 with a byte-order mark so Excel opens Chinese text correctly."""

from __future__ import annotations

import csv
import io

from evaluation.labels import t
from evaluation.report import Report

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: OWASP's CSV-injection rule.

    Excel and WPS evaluate a cell that starts with ``= + - @`` (or a tab or CR before one) as a
    formula, so notes, comments and names are prefixed with ``'``; plain numbers such as ``-3``
    stay numbers. The csv module's quoting takes care of separators and quotes inside the cell.
    """
    if not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    buf.write(BOM)
    csv.writer(buf, lineterminator="\r\n").writerows([safe_cell(c) for c in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def scores_csv(report: Report) -> bytes:
    """One row per evaluation and criterion."""
    rows = [[
        "segment_id", "rubric_version", "evaluation", t("observer"), "criterion", t("criterion"), t("weight"),
        t("score"), t("comment"), t("overall_comment"),
    ]]  # fmt: skip
    for i, e in enumerate(report.evaluations):
        for s in e.scores:
            c = report.rubric.criterion(s.criterion)
            rows.append([
                report.segment_id, str(report.rubric.version), str(i + 1), report.observer(i, e), s.criterion,
                c.title if c else s.criterion, f"{c.weight:g}" if c else "", f"{s.score:g}", s.comment, e.comment,
            ])  # fmt: skip
    return _csv(rows)


def notes_csv(report: Report) -> bytes:
    rows = [["offset", t("time"), t("venue"), t("kind"), t("criterion"), t("author"), t("text")]]
    rows += [[n.offset, n.clock, n.venue, n.kind, n.criterion, n.author, n.text] for n in report.notes]
    return _csv(rows)
