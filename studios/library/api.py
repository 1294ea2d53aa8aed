"""What the rest of Moke may use of the library: its search index on the app (the records dashboard counts
items with ``count_items``)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from server.db import Database
from studios.library.models import LibraryItem
from studios.library.search import SearchIndex

SEARCH: web.AppKey[SearchIndex] = web.AppKey("moke_library_search", SearchIndex)


async def count_items(db: Database, studio_id: str | None = None) -> int:
    """How many resources a studio (or, with ``None``, every studio) holds."""
    stmt = select(func.count()).select_from(LibraryItem)
    if studio_id is not None:
        stmt = stmt.where(LibraryItem.studio_id == studio_id)
    async with db.session() as session:
        return await session.scalar(stmt) or 0
