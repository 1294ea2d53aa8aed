"""studios.library.terms: CJK text as bigrams, queries as phrases."""

from __future__ import annotations

from studios.library.terms import MAX_QUERY_TERMS, Phrase, index_terms, query_phrases


def test_chinese_runs_become_bigrams_and_their_last_character() -> None:
    assert index_terms("教学过程") == "教学 学过 过程 程"
    assert index_terms("一、导入") == "一 导入 入"
    assert index_terms("PPT课件 Slide-3") == "ppt 课件 件 slide 3"
    assert index_terms("“”！，。 ") == ""


def test_queries_are_phrases_of_bigrams() -> None:
    assert query_phrases("合作探究") == [Phrase(("合作", "作探", "探究"))]
    assert query_phrases("雨") == [Phrase(("雨",), prefix=True)]
    assert query_phrases("PPT 朗读") == [Phrase(("ppt",)), Phrase(("朗读",))]
    assert query_phrases("'; DROP TABLE\"") == [Phrase(("drop",)), Phrase(("table",))]
    assert query_phrases("，。") == []
    assert sum(len(p.terms) for p in query_phrases("字" * 200)) <= MAX_QUERY_TERMS
