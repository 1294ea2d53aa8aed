"""Studio tests run on SQLite and on PostgreSQL (``studio_server``), as the issue asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.services import fresh_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def studio_server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningServer]:
    # Small limits, so that "the studio is full" is reached with a handful of teachers.
    limits = {"studios_max_core": 3, "studios_max_participants": 20}
    if request.param == "sqlite":
        settings = make_settings(tmp_path / "var", **limits)
        async with running_server(settings) as srv:
            yield srv
    else:
        async with fresh_pg_database() as url:
            settings = make_settings(tmp_path / "var", database_url=url, **limits)
            async with running_server(settings) as srv:
                yield srv


@pytest.fixture
async def studio_api(studio_server: RunningServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, studio_server.url)
