"""Where the records meet the studios: which rooms belong to which studio, and each studio's resources.

The rooms come from the studios' own table (``studios.models.StudioRoom``); resources per studio are the
library's to count (none until it lands)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from studios.models import Studio, StudioRoom


async def studio_rooms(s: AsyncSession, studio_id: str) -> list[str]:
    """The rooms (activities) of ``studio_id``."""
    return list(await s.scalars(select(StudioRoom.room_id).where(StudioRoom.studio_id == studio_id)))


async def studios_of_rooms(s: AsyncSession) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
    """room id -> (studio id, studio name) for every studio room, and library items per studio id."""
    rows = await s.execute(
        select(StudioRoom.room_id, Studio.id, Studio.name).join(Studio, Studio.id == StudioRoom.studio_id)
    )
    return {room_id: (studio_id, name) for room_id, studio_id, name in rows}, {}
