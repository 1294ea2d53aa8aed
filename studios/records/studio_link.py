"""Where the records meet the studios: which rooms belong to which studio, and each studio's resources.

Until the studios' own tables exist this knows of no studio: every activity is a room on its own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def studio_rooms(s: AsyncSession, studio_id: str) -> list[str]:
    """The rooms (activities) of ``studio_id``."""
    return []


async def studios_of_rooms(s: AsyncSession) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
    """room id -> (studio id, studio name) for every studio room, and library items per studio id."""
    return {}, {}
