"""evaluation.report: the report's tables, built once for every format (pure, from the real aggregation)."""

from __future__ import annotations

from evaluation.report import fmt, mmss
from tests.support.evaluation import sample_report


def test_summary_and_criteria_tables_carry_the_weighted_results() -> None:
    report = sample_report()
    assert report.summary_table().rows == [["2", "4.10", "82.0%"]]  # (3.5×40 + 4.5×60) / 100 on a 1–5 scale
    goals, process = report.criteria_table().rows
    assert goals[:6] == ["教学目标", "40", "3.50", "0.50", "3.0", "4.0"]
    assert process[0] == "教学过程" and process[-1] == "1:0 2:0 3:0 4:1 5:1"


def test_notes_are_on_the_report_clock_and_offset_from_the_first() -> None:
    rows = sample_report().notes_table().rows
    assert rows == [
        ["06:13:20（00:00）", "v1", "亮点", "教学目标", "李老师", "导入自然"],  # Asia/Shanghai
        ["06:14:55（01:35）", "v1", "疑问", "", "李老师", "提问太快"],
    ]


def test_observers_are_named_unless_anonymous() -> None:
    named, anon = sample_report(), sample_report(anonymous=True)
    assert [named.observer(i, e) for i, e in enumerate(named.evaluations)] == ["李老师", "赵老师"]
    assert [anon.observer(i, e) for i, e in enumerate(anon.evaluations)] == ["评价人 1", "评价人 2"]
    assert named.scores_table(named.evaluations[0]).rows == [
        ["教学目标", "4", "目标清楚"],
        ["教学过程", "5", ""],
    ]


def test_meta_names_the_segment_and_the_rubric_version() -> None:
    report = sample_report()
    assert report.meta() == [
        "课段：第一课时（seg-1）",
        "评价量表：课堂教学评价量表（版本 3）",
        "生成时间：2026-12-04 18:00",
    ]
    assert report.criterion_title("goals") == "教学目标" and report.criterion_title("gone") == "gone"
    assert report.criterion_title(None) == ""


def test_small_formatters() -> None:
    assert (mmss(0), mmss(95.9), mmss(-3), mmss(3600)) == ("00:00", "01:35", "00:00", "60:00")
    assert (fmt(None), fmt(4.1), fmt(82, 1)) == ("", "4.10", "82.0")
