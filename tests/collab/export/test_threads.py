"""collab.export.threads.view: one reading of a comment thread for every export format (pure)."""

from __future__ import annotations

from collab.export.threads import Reply, view


def test_the_live_anchor_and_current_section_win_over_what_was_kept() -> None:
    thread = {
        "author": {"name": "王专家"},
        "text": "目标可以再聚焦",
        "section": "教学目标",
        "section_now": "教学重难点",
        "quote": "旧的引文",
        "position": {"text": "现在的文字"},
        "resolved": True,
        "replies": [{"author": {"name": "李老师"}, "text": "已修改"}],
    }
    v = view(thread)
    assert (v.author, v.text, v.where, v.quote, v.resolved) == (
        "王专家",
        "目标可以再聚焦",
        "教学重难点",
        "现在的文字",
        True,
    )
    assert v.replies == (Reply("李老师", "已修改"),)
    assert v.suggestion is None and not v.accepted


def test_a_lost_anchor_falls_back_to_the_kept_quote_and_section() -> None:
    v = view(
        {"author": {"name": "周"}, "text": "x", "section": "作业设计", "quote": "引文", "position": None}
    )
    assert (v.where, v.quote, v.resolved, v.replies) == ("作业设计", "引文", False, ())
    bare = view({"author": {"name": "周"}, "text": "x"})
    assert (bare.where, bare.quote) == ("", "")


def test_a_suggestion_keeps_its_text_and_acceptance() -> None:
    v = view({"author": {"name": "周"}, "text": "改一下", "suggestion": "新的目标", "accepted": True})
    assert v.suggestion == "新的目标" and v.accepted
    assert view({"author": {"name": "周"}, "text": "", "suggestion": ""}).suggestion == ""
