"""deploy/healthcheck.py: the container's health check asks the server its settings name."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.support.server import RunningServer, ServerProcess
from tests.support.services import ROOT
from tests.support.tls import TestCA

SCRIPT = ROOT / "deploy" / "healthcheck.py"


async def _check(**environ: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
    env.update(environ, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE, cwd="/"
    )
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthy_server_passes_from_a_wildcard_listen_address(server: RunningServer) -> None:
    port = str(server.url.rsplit(":", 1)[1])
    assert await _check(MOKE_HOST="127.0.0.1", MOKE_PORT=port) == (0, "")
    assert await _check(MOKE_HOST="0.0.0.0", MOKE_PORT=port) == (0, "")


async def test_https_server_is_asked_over_https(tmp_path: Path) -> None:
    issued = TestCA(tmp_path / "ca").issue("moke.example.edu.cn")
    tls = {"MOKE_TLS_CERT": str(issued.cert), "MOKE_TLS_KEY": str(issued.key)}
    srv = await ServerProcess(tmp_path / "var", env=tls).start()
    try:
        assert srv.url.startswith("https://")
        assert await _check(MOKE_HOST="0.0.0.0", MOKE_PORT=str(srv.port), **tls) == (0, "")
        rc, err = await _check(MOKE_HOST="127.0.0.1", MOKE_PORT=str(srv.port))  # plain HTTP to a TLS port
        assert rc == 1 and f"http://127.0.0.1:{srv.port}/healthz" in err
    finally:
        srv.terminate()


async def test_nothing_listening_fails_with_the_url_it_asked() -> None:
    port = _closed_port()
    rc, err = await _check(MOKE_HOST="127.0.0.1", MOKE_PORT=str(port))
    assert rc == 1
    assert f"http://127.0.0.1:{port}/healthz" in err


async def test_bad_settings_fail_the_check() -> None:
    rc, err = await _check(MOKE_PORT="eighty")
    assert rc == 1
    assert "MOKE_PORT" in err
