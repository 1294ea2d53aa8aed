"""coturn (Debian's ``turnserver``) in a network namespace, configured the way the operator guide says:
``use-auth-secret`` with a shared secret Moke mints per-client credentials from, TURN over UDP and TCP
on 3478 and over TLS on 443."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.netns import Namespace
from tests.support.services import unavailable

TURNSERVER = "/usr/bin/turnserver"


def require_coturn() -> str:
    if shutil.which("turnserver") is None:
        unavailable("coturn's turnserver (apt-get install coturn)")
    return TURNSERVER


@dataclass
class Coturn:
    """One coturn listening on ``ip`` (plain 3478, TLS ``tls_port``) with relay addresses on ``ip`` too."""

    ns: Namespace
    directory: Path
    ip: str
    cert: Path
    key: Path
    tls_port: int = 443
    port: int = 3478
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "turnserver.log"

    @property
    def urls(self) -> list[str]:
        """What ``MOKE_MEDIA_TURN_URLS`` lists: UDP, TCP and TLS, cheapest first (browsers prefer in that order)."""
        return [
            f"turn:{self.ip}:{self.port}?transport=udp",
            f"turn:{self.ip}:{self.port}?transport=tcp",
            f"turns:{self.ip}:{self.tls_port}?transport=tcp",
        ]

    def start(self) -> Coturn:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "turnserver.conf"
        conf.write_text(
            "\n".join(
                [
                    f"listening-ip={self.ip}",
                    f"relay-ip={self.ip}",
                    f"listening-port={self.port}",
                    f"tls-listening-port={self.tls_port}",
                    "min-port=49152",
                    "max-port=49999",
                    "use-auth-secret",
                    f"static-auth-secret={self.secret}",
                    "realm=moke.test",
                    "fingerprint",
                    f"cert={self.cert}",
                    f"pkey={self.key}",
                    "no-cli",
                    "no-dtls",
                    "no-tlsv1",
                    "no-tlsv1_1",
                    "no-software-attribute",
                    "no-rfc5780",
                    f"userdb={self.directory / 'turndb'}",
                    f"pidfile={self.directory / 'turnserver.pid'}",
                    f"log-file={self.log_path}",
                    "simple-log",
                    "no-stdout-log",
                    "",
                ]
            )
        )
        self.proc = self.ns.popen([require_coturn(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        self.ns.wait_port(self.ip, self.port, proc=self.proc)
        self.ns.wait_port(self.ip, self.tls_port, proc=self.proc)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
