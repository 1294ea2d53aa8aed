"""evaluation.report_csv: raw scores and notes as CSV that Excel opens in Chinese (UTF-8 with a BOM)."""

from __future__ import annotations

import csv
import io

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
