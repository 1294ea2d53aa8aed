"""deploy/docker-compose.yml and deploy/Caddyfile: valid for their tools, and wired to settings moke accepts.

``docker compose config`` (or Debian's ``docker-compose``) resolves and validates the file with the
example ``.env``; no daemon is needed. Each moke service's resolved environment then goes through
``server.config.load_settings``, which refuses unknown ``MOKE_*`` names and bad values, so a renamed
setting breaks this test rather than a district's start-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.config import load_settings
from tests.support.services import ROOT, unavailable

DEPLOY = ROOT / "deploy"
SERVICES = {"moke1", "moke2", "caddy", "postgres", "redis", "coturn"}


def _compose() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is None:
        unavailable("docker compose or docker-compose (`make deploy-tools` installs Debian's)")
    assert legacy is not None
    return [legacy]


def _parse_yaml_mappings(text: str) -> dict[str, Any]:
    """The nested ``key: value`` mappings of ``compose config`` output (lists are skipped).

    Enough for this file's services, environments and healthchecks; avoids a YAML dependency.
    """
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "- ")) or stripped == "-" or ":" not in stripped:
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        key, _, value = stripped.partition(":")
        value = value.strip()
        if value:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            stack[-1][1][key.strip("'\"")] = value
        else:
            child: dict[str, Any] = {}
            stack[-1][1][key.strip("'\"")] = child
            stack.append((indent, child))
    return root


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    cmd = [*_compose(), "--env-file", str(DEPLOY / "env.example"), "-f", str(DEPLOY / "docker-compose.yml"),
           "config"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    services: dict[str, Any] = _parse_yaml_mappings(proc.stdout)["services"]
    return services


def test_compose_file_validates_with_every_service_healthchecked(resolved: dict[str, Any]) -> None:
    assert set(resolved) == SERVICES
    for name, service in resolved.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_moke_processes_get_settings_moke_accepts(resolved: dict[str, Any]) -> None:
    ranges = []
    ports = []
    for name in ("moke1", "moke2"):
        environ = resolved[name]["environment"]
        settings = load_settings(environ=environ, ensure_secret=False)
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.redis_url
        assert settings.secret_key, "both processes must share one signing key"
        assert settings.public_url.startswith("https://")
        assert settings.trusted_proxies == "127.0.0.1"
        assert settings.media_turn_secret and settings.media_turn_urls
        low, _, high = settings.media_udp_ports.partition("-")
        ranges.append(range(int(low), int(high) + 1))
        ports.append(settings.port)
    assert len(set(ports)) == 2
    assert not set(ranges[0]) & set(ranges[1]), "each process needs a UDP range of its own"


def test_caddy_proxies_to_both_processes(resolved: dict[str, Any], tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        unavailable("caddy (`make deploy-tools` installs Debian's)")
    assert caddy is not None
    env = {**os.environ, "MOKE_DOMAIN": "moke.example.edu.cn", "HOME": str(tmp_path)}
    proc = subprocess.run([caddy, "adapt", "--config", str(DEPLOY / "Caddyfile")], capture_output=True,
                          text=True, env=env, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)
    text = json.dumps(config)
    expected = {f"127.0.0.1:{resolved[n]['environment']['MOKE_PORT']}" for n in ("moke1", "moke2")}
    assert expected <= set(_dial_addresses(config)), text
    assert '"cookie"' in text  # sticky: a long-polling Socket.IO session stays on its process
    assert "moke.example.edu.cn" in text


def _dial_addresses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["dial"]] if isinstance(node.get("dial"), str) else []
        return found + [a for v in node.values() for a in _dial_addresses(v)]
    if isinstance(node, list):
        return [a for v in node for a in _dial_addresses(v)]
    return []
