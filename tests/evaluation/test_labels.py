"""evaluation.labels: report wording from the locale file, Chinese first."""

from __future__ import annotations

from evaluation.labels import kind_label, t


def test_text_comes_from_the_locale_and_is_formatted() -> None:
    assert t("report_title") == "评课报告"
    assert "3" in t("anonymous_observer", n=3)
    assert t("no_such_key") == "no_such_key"  # a missing key shows itself rather than failing a report


def test_note_kinds_have_labels_and_no_kind_has_none() -> None:
    assert kind_label("positive") == t("kind_positive") != "kind_positive"
    assert kind_label(None) == "" and kind_label("") == ""
