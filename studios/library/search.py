"""Full-text search of library items, one small interface over two real engines.

SQLite (the embedded default) uses an FTS5 virtual table; PostgreSQL a ``tsvector`` column with a GIN index
(``simple`` configuration: no stemming, no stop words). Both index the terms of ``terms.index_terms`` and
answer the phrases of ``terms.query_phrases``, so they agree on what matches (``tests/studios/library/
test_search.py`` runs one contract over both). The table is built by the migration, not by the models.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Float, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import Subquery

from server.db import is_sqlite
from studios.library.terms import Phrase, index_terms, query_phrases

TABLE = "library_search"


class SearchIndex(Protocol):
    """Index and query item texts inside the caller's transaction (an item and its index change together)."""

    async def put(self, session: AsyncSession, item_id: str, text: str) -> None:
        """Index ``text`` for ``item_id``, replacing what was indexed for it before."""
        ...

    async def remove(self, session: AsyncSession, item_id: str) -> None: ...

    def hits(self, query: str) -> Subquery | None:
        """A subquery of ``(item_id, score)`` for the items matching every part of ``query``, higher score =
        better match; None when the query has nothing to search for."""
        ...


class Fts5Index:
    """SQLite: ``library_search`` is ``fts5(item_id UNINDEXED, terms)`` with the unicode61 tokenizer, which
    splits the stored terms at their spaces and keeps each CJK bigram whole."""

    async def put(self, session: AsyncSession, item_id: str, text_: str) -> None:
        await self.remove(session, item_id)
        await session.execute(
            text(f"INSERT INTO {TABLE} (item_id, terms) VALUES (:id, :terms)"),
            {"id": item_id, "terms": index_terms(text_)},
        )

    async def remove(self, session: AsyncSession, item_id: str) -> None:
        await session.execute(text(f"DELETE FROM {TABLE} WHERE item_id = :id"), {"id": item_id})

    def hits(self, query: str) -> Subquery | None:
        phrases = query_phrases(query)
        if not phrases:
            return None
        stmt = text(
            f"SELECT item_id, -bm25({TABLE}) AS score FROM {TABLE} WHERE {TABLE} MATCH :library_q"
        ).bindparams(library_q=fts5_query(phrases))
        return stmt.columns(item_id=String, score=Float).subquery("library_hits")


def fts5_query(phrases: list[Phrase]) -> str:
    """``"学过 过程" "程"*`` — quoted phrases, implicitly ANDed (terms hold letters and digits only)."""
    return " ".join(f'"{" ".join(p.terms)}"' + ("*" if p.prefix else "") for p in phrases)


class PgIndex:
    """PostgreSQL: ``library_search(item_id, terms tsvector)`` with a GIN index; phrases use ``<->``."""

    async def put(self, session: AsyncSession, item_id: str, text_: str) -> None:
        await session.execute(
            text(
                f"INSERT INTO {TABLE} (item_id, terms) VALUES (:id, to_tsvector('simple', :terms)) "
                "ON CONFLICT (item_id) DO UPDATE SET terms = excluded.terms"
            ),
            {"id": item_id, "terms": index_terms(text_)},
        )

    async def remove(self, session: AsyncSession, item_id: str) -> None:
        await session.execute(text(f"DELETE FROM {TABLE} WHERE item_id = :id"), {"id": item_id})

    def hits(self, query: str) -> Subquery | None:
        phrases = query_phrases(query)
        if not phrases:
            return None
        stmt = text(
            f"SELECT item_id, ts_rank(terms, q) AS score FROM {TABLE}, to_tsquery('simple', :library_q) q "
            "WHERE terms @@ q"
        ).bindparams(library_q=tsquery(phrases))
        return stmt.columns(item_id=String, score=Float).subquery("library_hits")


def tsquery(phrases: list[Phrase]) -> str:
    """``'学过' <-> '过程' & '程':*`` (terms hold letters and digits only, so quoting them is safe)."""
    parts = []
    for p in phrases:
        joined = " <-> ".join(f"'{t}'" for t in p.terms)
        parts.append(f"{joined}:*" if p.prefix else f"({joined})")
    return " & ".join(parts)


def search_index_for(url: str) -> SearchIndex:
    """The engine's own index: FTS5 on SQLite, tsvector on PostgreSQL."""
    return Fts5Index() if is_sqlite(url) else PgIndex()
