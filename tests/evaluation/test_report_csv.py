"""evaluation.report_csv: raw scores and notes as CSV that Excel opens in Chinese (UTF-8 with a BOM)."""

from __future__ import annotations

import csv
import io

from evaluation.report import NoteLine
from evaluation.report_csv import notes_csv, scores_csv
from tests.support.evaluation import sample_report


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_one_score_row_per_evaluation_and_criterion() -> None:
    head, *body = rows(scores_csv(sample_report()))
    assert head[:5] == ["segment_id", "rubric_version", "evaluation", "评价人", "criterion"]
    assert [r[:9] for r in body] == [
        ["seg-1", "3", "1", "李老师", "goals", "教学目标", "40", "4", "目标清楚"],
        ["seg-1", "3", "1", "李老师", "process", "教学过程", "60", "5", ""],
        ["seg-1", "3", "2", "赵老师", "goals", "教学目标", "40", "3", "目标清楚"],
        ["seg-1", "3", "2", "赵老师", "process", "教学过程", "60", "4", ""],
    ]
    assert [r[9] for r in body] == ["总评0", "总评0", "总评1", "总评1"]


def test_anonymous_scores_name_no_one() -> None:
    _, *body = rows(scores_csv(sample_report(anonymous=True)))
    assert {r[3] for r in body} == {"评价人 1", "评价人 2"}


def test_notes_csv_has_offsets_first() -> None:
    head, *body = rows(notes_csv(sample_report()))
    assert head[0] == "offset" and [r[0] for r in body] == ["00:00", "01:35"]
    assert body[1][-1] == "提问太快"


DANGEROUS = ['=HYPERLINK("http://x","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped() -> None:
    # OWASP CSV injection: a leading = + - @ (or tab, CR) makes Excel evaluate the cell.
    report = sample_report()
    report.notes = [NoteLine("08:00:00", "00:00", d, "", "", d, d) for d in DANGEROUS]
    report.evaluations[0].scores[0].comment = "=1+1"
    report.evaluations[0].comment = "@me"
    _, *notes = rows(notes_csv(report))
    assert [r[-1] for r in notes] == ["'" + d for d in DANGEROUS]
    assert [r[2] for r in notes] == ["'" + d for d in DANGEROUS]  # venue names are user text too
    _, *scores = rows(scores_csv(report))
    assert scores[0][8:] == ["'=1+1", "'@me"]
    assert scores[0][7] == "4"  # numbers stay numbers


def test_plain_negative_numbers_and_ordinary_text_are_left_alone() -> None:
    report = sample_report()
    report.notes = [
        NoteLine("08:00:00", "00:00", "一小", "", "", "李老师", t)
        for t in ["-3", "+4.5", "a=b", "提问 - 太快"]
    ]
    _, *notes = rows(notes_csv(report))
    assert [r[-1] for r in notes] == ["-3", "+4.5", "a=b", "提问 - 太快"]
