"""A real coturn (Debian's ``turnserver``) for tests: TURN REST API secret, UDP + TCP, optionally TLS.

``make test`` installs the ``coturn`` package when root; without it the tests skip (fail in CI).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.netns import Namespace
from tests.support.services import unavailable

TURNSERVER = "/usr/bin/turnserver"


def require_coturn() -> str:
    path = shutil.which("turnserver") or (TURNSERVER if Path(TURNSERVER).exists() else None)
    if path is None:
        unavailable("coturn (apt-get install coturn)")
    assert path is not None
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on ``host`` (TURN listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no port free for both TCP and UDP")


@dataclass
class Coturn:
    """``turnserver`` on ``host``: ``port`` for UDP and TCP, ``tls_port`` for TURN over TLS (when given a cert).

    With ``ns`` it runs inside that network namespace; give it its ports then (3478, 443 as deployed)."""

    directory: Path
    secret: str
    host: str = "127.0.0.1"
    cert: Path | None = None
    key: Path | None = None
    port: int = 0
    tls_port: int = 0
    ns: Namespace | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.directory / "turnserver.log"

    def start(self, timeout: float = 15) -> Coturn:
        binary = require_coturn()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        args = [
            binary, "-n", "--no-cli", "--no-dtls", "--simple-log", "--no-software-attribute",
            f"--listening-ip={self.host}", f"--relay-ip={self.host}", f"--listening-port={self.port}",
            f"--alt-listening-port={free_port(self.host) if self.ns is None else self.port + 1}",
            "--use-auth-secret", f"--static-auth-secret={self.secret}", "--realm=moke.test",
            "--allow-loopback-peers", "--min-port=49152", "--max-port=65535",
            f"--log-file={self.log_path}", f"--pidfile={self.directory / 'turnserver.pid'}",
            f"--userdb={self.directory / 'turndb'}",
        ]  # fmt: skip
        if self.cert and self.key:
            self.tls_port = self.tls_port or free_port(self.host)
            args += [f"--tls-listening-port={self.tls_port}", f"--cert={self.cert}", f"--pkey={self.key}"]
        else:
            args.append("--no-tls")
        if self.ns is None:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        else:
            self.proc = self.ns.popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        ports = [self.port] + ([self.tls_port] if self.tls_port else [])
        while not all(self._listening(p) for p in ports):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                raise RuntimeError(f"turnserver did not start:\n{log[-2000:]}")
            time.sleep(0.1)
        return self

    def _listening(self, port: int) -> bool:
        if self.ns is not None:
            return self.ns.port_open(self.host, port)
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> Coturn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
