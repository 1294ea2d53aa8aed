"""The records run on SQLite and on PostgreSQL: the in-process server of these tests uses each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.config import Settings
from tests.support.server import make_settings
from tests.support.services import fresh_pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    if request.param == "sqlite":
        yield make_settings(tmp_path / "var")
    else:
        async with fresh_pg_database() as url:
            yield make_settings(tmp_path / "var", database_url=url)
