"""`moke serve` as an operator runs it: a subprocess on a free port, stopped with SIGTERM."""

from __future__ import annotations

from pathlib import Path

import aiohttp

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
