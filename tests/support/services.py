"""Real external services for tests: Redis, PostgreSQL, Chromium, Firefox, Node.

Locally a missing service skips its tests; in CI (``CI=true``) or with ``REQUIRE_SERVICES=1`` it
fails them, so a green CI run means those tests really ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("MOKE_TEST_REDIS_URL_OVERRIDE", "redis://127.0.0.1:6379/0")
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"
ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "tests" / "js" / "node_modules"


def strict() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def unavailable(what: str) -> None:
    if strict():
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} not available")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_redis() -> str:
    if not _port_open("127.0.0.1", 6379):
        unavailable("Redis at 127.0.0.1:6379")
    return REDIS_URL


def require_postgres() -> str:
    if not _port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL at 127.0.0.1:5432")
    return PG_ADMIN_DSN


def require_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        unavailable(CHROMIUM)
    return CHROMIUM


def require_firefox() -> str:
    if not os.path.exists(FIREFOX):
        unavailable(FIREFOX)
    return FIREFOX


def require_node() -> str:
    node = shutil.which("node")
    if node is None or not NODE_MODULES.exists():
        unavailable("node with tests/js/node_modules (run `make testjs`)")
    assert node is not None
    return node


def unique_prefix() -> str:
    """A Redis key/channel prefix of our own, so parallel test runs never hear each other."""
    return f"moketest-{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test and drop it afterwards; yields its SQLAlchemy URL."""
    import asyncpg

    require_postgres()
    name = f"moke_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
