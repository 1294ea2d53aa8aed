"""Private Redis and PostgreSQL servers for fault-injection tests: started, stopped and restarted by
the test on a free port of their own, so the shared 127.0.0.1:6379 / :5432 others use are never touched.

The binaries are Debian's (``/usr/bin/redis-server``, ``/usr/lib/postgresql/*/bin``); PostgreSQL refuses
to run as root, so as root it runs as the ``postgres`` user. Missing binaries skip (or fail in CI, as
:func:`tests.support.services.unavailable` does)."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.services import unavailable

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_port(port: int, up: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} within {timeout} s")
        await asyncio.sleep(0.05)


class PrivateRedis:
    """``redis-server`` on its own port, configured as the deployment's (no persistence: a restart
    starts empty, the worst case for what Moke keeps there)."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        args = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await _wait_port(self.port, up=True)

    async def stop(self) -> None:
        """SIGTERM and wait: every connection to it drops."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            await asyncio.get_running_loop().run_in_executor(None, self.proc.wait, 15)
        await _wait_port(self.port, up=False)

    async def restart(self, down_for: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start()


@asynccontextmanager
async def private_redis() -> AsyncIterator[PrivateRedis]:
    if not os.path.exists(REDIS_SERVER):
        unavailable(REDIS_SERVER)
    with tempfile.TemporaryDirectory(prefix="moke-redis-") as workdir:
        redis = PrivateRedis(free_port(), Path(workdir))
        await redis.start()
        try:
            yield redis
        finally:
            if redis.proc is not None and redis.proc.poll() is None:
                redis.proc.kill()
                redis.proc.wait(10)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (``initdb``, trust auth) on its own port, with a database ``moke``."""

    def __init__(self, bindir: Path, datadir: Path, port: int) -> None:
        self.bindir = bindir
        self.datadir = datadir
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/moke"

    def _run(self, args: Sequence[str]) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _pg_ctl(self, *args: str) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60", *args])

    async def start(self) -> None:
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.datadir / "server.log")
        await asyncio.to_thread(self._pg_ctl, "-o", opts, "-l", log, "start")
        await _wait_port(self.port, up=True)

    async def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, every connection drops."""
        await asyncio.to_thread(self._pg_ctl, "-m", "fast", "stop")
        await _wait_port(self.port, up=False)


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@asynccontextmanager
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    bindir = _pg_bindir()
    if bindir is None:
        unavailable("PostgreSQL binaries under /usr/lib/postgresql")
        raise AssertionError  # unreachable: unavailable() skips or fails
    root = Path(tempfile.mkdtemp(prefix="moke-pg-"))
    datadir = root / "data"
    datadir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(datadir, "postgres")
    pg = PrivatePostgres(bindir, datadir, free_port())
    try:
        await asyncio.to_thread(pg._run, [str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                                          "-A", "trust", "-E", "UTF8", "--no-sync"])  # fmt: skip
        await pg.start()
        await asyncio.to_thread(pg._run, [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port),
                                          "-U", "postgres", "moke"])  # fmt: skip
        yield pg
    finally:
        try:
            await asyncio.to_thread(pg._pg_ctl, "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(root, ignore_errors=True)
