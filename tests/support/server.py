"""Real Moke servers for tests: in this process on a free port, or as a ``moke serve`` subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from server.aiohttp_hooks import AppRunner
from server.config import Settings, load_settings
from server.context import CTX, AppContext

ROOT = Path(__file__).resolve().parents[2]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    base = load_settings(environ={}, cli={"data_dir": str(data_dir), "port": "0"})
    return base.with_overrides(web_dir=ROOT / "web" / "dist", **overrides)


@dataclass
class RunningServer:
    url: str
    port: int
    app: web.Application

    @property
    def ctx(self) -> AppContext:
        return self.app[CTX]

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[4:]


@asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[RunningServer]:
    """The real application on 127.0.0.1 and a free port, inside the test's event loop."""
    from server.app import build_app

    app = build_app(settings)
    runner = AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", port, app)
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Any aiohttp application on 127.0.0.1 and a free port; yields ``host:port``."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"{host}:{port}"
    finally:
        await runner.cleanup()


class ServerProcess:
    """``python -m server serve`` in a subprocess: for restarts, SIGKILL and multi-process tests.

    ``prefix`` runs it under another command (``ip netns exec NS``: a server in a network namespace);
    ``url`` then names the address it printed instead of 127.0.0.1."""

    def __init__(
        self, data_dir: Path, env: Mapping[str, str] | None = None, port: int = 0, prefix: Sequence[str] = ()
    ) -> None:
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.port = port
        self.prefix = list(prefix)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.log_path = data_dir / "server.log"

    async def start(self, timeout: float = 30) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
        env.update({"MOKE_DATA_DIR": str(self.data_dir), "MOKE_WEB_DIR": str(ROOT / "web" / "dist"),
                    "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})  # fmt: skip
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "server", "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        line = await asyncio.wait_for(loop.run_in_executor(None, self.proc.stdout.readline), timeout)
        m = re.search(rb"(https?)://([\d.]+):(\d+)", line)
        if not m:
            raise RuntimeError(f"server did not start: {line!r}; see {self.log_path}")
        self.port = int(m.group(3))
        host = "127.0.0.1" if not self.prefix else m.group(2).decode()
        self.url = f"{m.group(1).decode()}://{host}:{self.port}"
        return self

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[4:]

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)
        return self.proc.returncode

    async def restart(self, timeout: float = 30) -> ServerProcess:
        """Start again on the same port and data directory."""
        return await ServerProcess(self.data_dir, self.extra_env, self.port, self.prefix).start(timeout)
