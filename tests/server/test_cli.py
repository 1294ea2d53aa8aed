"""`moke serve` as an operator runs it: a subprocess on a free port, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support.api import Api
from tests.support.server import ServerProcess


async def test_serve_answers_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    srv = await ServerProcess(tmp_path / "var").start()
    try:
        async with aiohttp.ClientSession() as http, http.get(srv.url + "/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"
    finally:
        code = srv.terminate()
    assert code == 0
    log = srv.log_path.read_text()
    assert "shutting down" in log and "stopped" in log
    assert (tmp_path / "var" / "moke.db").exists()


ROOT = Path(__file__).resolve().parents[2]


async def test_create_admin_subcommand(tmp_path: Path, api: Api) -> None:
    data = tmp_path / "cli"
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", "create-admin", "root", "--password", "s3cret-pass", "--data-dir", str(data)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    from server.auth.passwords import verify_password
    from server.db import Database
    from server.models import User

    async with Database(f"sqlite+aiosqlite:///{data / 'moke.db'}") as db, db.session() as s:
        from sqlalchemy import select

        user = (await s.execute(select(User).where(User.username == "root"))).scalar_one()
    assert user.is_admin and verify_password(user.password_hash, "s3cret-pass")
