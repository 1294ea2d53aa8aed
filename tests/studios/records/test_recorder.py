"""Durable stays from presence: a teacher who reconnects twice and whose server process is SIGKILLed
counts one continuous stay that ends within the presence TTL of the kill — on SQLite (one process,
restarted) and on PostgreSQL with Redis (two processes, the survivor closes the dead one's stays)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.records import person, wait_attendance
from tests.support.rooms import Client, create_room, member
from tests.support.server import ServerProcess
from tests.support.services import fresh_pg_database, require_redis, unique_prefix

TTL = 1.5  # MOKE_CLUSTER_NODE_TTL: the presence TTL of these servers


@asynccontextmanager
async def cluster(
    kind: str, tmp_path: Path
) -> AsyncIterator[tuple[ServerProcess, ServerProcess | None, str]]:
    """(the process to kill, a survivor or None, the database URL)."""
    env = {"MOKE_SECRET_KEY": secrets.token_urlsafe(32), "MOKE_CLUSTER_NODE_TTL": str(TTL)}
    if kind == "sqlite":
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        try:
            yield a, None, ""
        finally:
            a.kill()
        return
    env["MOKE_REDIS_URL"] = require_redis()
    env["MOKE_REDIS_PREFIX"] = unique_prefix()
    async with fresh_pg_database() as db_url:
        env["MOKE_DATABASE_URL"] = db_url
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
        try:
            yield a, b, db_url
        finally:
            a.kill()
            b.terminate()


async def stay_in(url: str, token: str, room_id: str) -> Client:
    c = await Client(url, token).connect()
    await c.join(room_id)
    return c


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=[pytest.mark.redis, pytest.mark.postgres])]
)
async def test_reconnects_and_a_sigkill_make_one_stay_ending_within_the_ttl(
    kind: str, tmp_path: Path
) -> None:
    async with cluster(kind, tmp_path) as (a, b, _db), aiohttp.ClientSession() as http:
        other = b or a
        api = Api(http, other.url)
        host = await api.register(display_name="李主持", school="实验小学")
        rid = (await create_room(api, host["token"], kind="trial"))["id"]
        teacher = await member(api, host["token"], rid, "observer", as_guest=True)
        tid = teacher["user"]["id"]
        clients: list[Client] = []
        try:
            started = time.time()
            first = await stay_in(a.url, teacher["token"], rid)  # on the process that will die
            await first.close()  # reconnect 1: to the other process (the same one on SQLite)
            second = await stay_in(other.url, teacher["token"], rid)
            await second.close()  # reconnect 2: back to the one that will die
            clients.append(await stay_in(a.url, teacher["token"], rid))
            await wait_attendance(api, host["token"], rid, lambda r: _open_line(r, tid) is not None)
            killed = time.time()
            a.kill()
            if b is None:  # one process: its restart finds the dead process's stays and ends them
                a = await a.restart(timeout=90)
                api = Api(http, a.url)
            report = await wait_attendance(
                api, host["token"], rid, lambda r: _closed_line(r, tid) is not None, timeout=60
            )
        finally:
            for c in clients:
                try:
                    await c.close()
                except Exception:
                    pass
            if b is None:
                a.kill()
        line = _closed_line(report, tid)
        assert line is not None
        assert len(line["stays"]) == 1, line["stays"]  # reconnects merged into one continuous stay
        stay = line["stays"][0]
        assert started <= stay["start"] <= killed
        assert killed - TTL <= stay["end"] <= killed + TTL, (stay, killed)
        assert line["roles"] == ["observer"] and line["school"] == "三小"


def _open_line(report: dict[str, Any], uid: int) -> dict[str, Any] | None:
    p = person(report, uid)
    return p if p and p["stays"] and p["stays"][-1]["end"] is None else None


def _closed_line(report: dict[str, Any], uid: int) -> dict[str, Any] | None:
    p = person(report, uid)
    return p if p and p["stays"] and p["stays"][-1]["end"] is not None else None


async def test_a_clean_stop_closes_the_stays_of_its_connections(tmp_path: Path) -> None:
    env = {"MOKE_SECRET_KEY": secrets.token_urlsafe(32), "MOKE_CLUSTER_NODE_TTL": str(TTL),
           "MOKE_SIO_PING_INTERVAL": "1", "MOKE_SIO_PING_TIMEOUT": "2"}  # fmt: skip
    a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, a.url)
            host = await api.register(display_name="李主持")
            rid = (await create_room(api, host["token"]))["id"]
            teacher = await member(api, host["token"], rid, "editor", as_guest=True)
            tid = teacher["user"]["id"]
            c = await stay_in(a.url, teacher["token"], rid)
            await wait_attendance(api, host["token"], rid, lambda r: _open_line(r, tid) is not None)
            # SIGTERM while the teacher is still there (in a thread: the client must answer the server's goodbye;
            # python-socketio's shutdown takes about ping interval + timeout with a client connected)
            assert await asyncio.to_thread(a.terminate, 90) == 0
            stopped = time.time()
            try:
                await asyncio.wait_for(c.close(), 3)  # the server is gone: don't wait on its answer
            except (TimeoutError, Exception):
                pass
            a = await a.restart(timeout=90)
            api = Api(http, a.url)
            report = await wait_attendance(
                api, host["token"], rid, lambda r: _closed_line(r, tid) is not None
            )
    finally:
        a.kill()
    line = _closed_line(report, tid)
    assert line is not None and len(line["stays"]) == 1 and line["stays"][0]["end"] <= stopped
    assert line["roles"] == ["editor"]
