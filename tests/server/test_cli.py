"""`moke serve` as an operator runs it: a subprocess on a free port, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.server import ServerProcess
from tests.support.services import require_node


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


async def test_on_sigterm_a_browser_client_hears_the_close_at_once_and_would_reconnect(
    tmp_path: Path,
) -> None:
    # A WebSocket used to stay open until the client's ping timed out (20 s): socket.io-client ignores an
    # Engine.IO CLOSE packet over WebSocket, so the stop waited, and the browser took that long to move on.
    # every timeout that could end the connection otherwise is far away: only an active close ends it
    far = {"MOKE_SHUTDOWN_TIMEOUT": "600", "MOKE_SIO_PING_INTERVAL": "300", "MOKE_SIO_PING_TIMEOUT": "300"}
    srv = await ServerProcess(tmp_path / "var", far).start()
    client = None
    try:
        async with aiohttp.ClientSession() as http:
            user = await Api(http, srv.url).register()
        client = await asyncio.create_subprocess_exec(
            require_node(), str(ROOT / "tests/js/sioclient.mjs"), srv.url, user["token"],
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert client.stdout is not None
        assert (await asyncio.wait_for(client.stdout.readline(), 30)).decode().strip() == "connected"
        srv.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            said = (await asyncio.wait_for(client.stdout.readline(), 120)).decode().strip()
        except TimeoutError:
            pytest.fail("the Socket.IO connection stayed open after SIGTERM")
        # "transport close": socket.io-client reconnects by itself (to another process); a "ping timeout"
        # would mean the server never closed the connection
        assert said == "disconnect transport close", said
    finally:
        if client is not None and client.returncode is None:
            client.kill()
        code = srv.terminate(timeout=60)
    assert code == 0
