from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.config import Settings
from tests.support.api import Api
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.workers import ModuleScheduling, slowest_first


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var")


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    async with running_server(settings) as srv:
        yield srv


@pytest.fixture
async def api(server: RunningServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, server.url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest modules first: with several workers (`make pytest`), they start on them together."""
    items[:] = slowest_first(items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> ModuleScheduling | None:
    """``--dist loadfile`` with a folder that has a package-scoped fixture as one unit (tests/support/workers.py)."""
    return ModuleScheduling(config, log) if config.getvalue("dist") == "loadfile" else None
