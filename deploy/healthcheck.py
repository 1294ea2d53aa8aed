#!/usr/bin/env python3
"""Container health check: exit 0 when this host's ``moke serve`` answers ``/healthz`` with 200.

It reads the same settings as the server (``MOKE_*`` variables, one typed object), so it asks the
port, the scheme and the address the server was told to use. ``/healthz`` checks the database too, and
Redis when one is configured; either unreachable makes the check fail, which is what an orchestrator should see.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request

from server.config import load_settings
from server.errors import ConfigError


def health_url() -> str:
    settings = load_settings(ensure_secret=False)
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if settings.tls_cert else "http"
    return f"{scheme}://{host}:{settings.port}/healthz"


def main() -> int:
    try:
        url = health_url()
    except ConfigError as exc:
        print(f"moke-healthcheck: configuration error: {exc.message}", file=sys.stderr)
        return 1
    # The certificate names the public host, not 127.0.0.1; this check is about liveness, not identity.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=4, context=context) as resp:
            return 0 if resp.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"moke-healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
