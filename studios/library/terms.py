"""Search terms for text without word spaces: Chinese is indexed as overlapping character bigrams.

Both databases index the same terms, written here, so a query finds the same items on SQLite (FTS5) and
PostgreSQL (tsvector): a run of CJK characters ``教学过程`` becomes ``教学 学过 过程 程`` (each bigram, then the
run's last character alone), other text becomes lower-cased words. A query run of two or more characters is
the *phrase* of its bigrams, so it matches exactly that substring anywhere in a run (``学过程`` finds
``教学过程``); a single character is a prefix term (``程*``), which every bigram starting with it and every run
ending in it carries. No dictionary is involved: a word segmenter (jieba, zhparser) misses words it does not
know (subject terms, names) and is not installed in PostgreSQL by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CJK ideographs (unified, extension A, compatibility, extensions B–F in the supplementary planes)
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
MAX_QUERY_TERMS = 32  # a longer query is cut here: enough for any phrase a person types


def index_terms(text: str) -> str:
    """The space-separated terms the index stores for ``text``."""
    out: list[str] = []
    for cjk, word in _TOKEN.findall(text):
        if cjk:
            out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
            out.append(cjk[-1])
        else:
            out.append(word.lower())
    return " ".join(out)


@dataclass(frozen=True)
class Phrase:
    """One query part: its terms in order (matched adjacent), or one prefix term."""

    terms: tuple[str, ...]
    prefix: bool = False


def query_phrases(query: str) -> list[Phrase]:
    """What a typed query asks for: every part must match (AND). Empty when it has nothing searchable."""
    phrases: list[Phrase] = []
    count = 0
    for cjk, word in _TOKEN.findall(query):
        if cjk and len(cjk) == 1:
            phrase = Phrase((cjk,), prefix=True)
        elif cjk:
            phrase = Phrase(tuple(cjk[i : i + 2] for i in range(len(cjk) - 1)))
        else:
            phrase = Phrase((word.lower(),))
        count += len(phrase.terms)
        if count > MAX_QUERY_TERMS:
            break
        phrases.append(phrase)
    return phrases
