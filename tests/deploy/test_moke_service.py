"""deploy/moke.service and deploy/moke.env.example: a unit systemd accepts, settings moke accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from server.config import load_settings
from tests.support.services import ROOT, unavailable

DEPLOY = ROOT / "deploy"


def _env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze")
    assert analyze is not None
    # verify wants ExecStart to exist; everything else (directive names, values) is checked as written.
    unit = (DEPLOY / "moke.service").read_text()
    assert "ExecStart=/opt/moke/venv/bin/moke serve" in unit
    (tmp_path / "moke.service").write_text(unit.replace("/opt/moke/venv/bin/moke serve", "/bin/true"))
    proc = subprocess.run([analyze, "verify", str(tmp_path / "moke.service")], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout + proc.stderr == ""


def test_example_environment_is_accepted_by_moke() -> None:
    environ = _env_file(DEPLOY / "moke.env.example")
    settings = load_settings(environ=environ, ensure_secret=False)
    assert settings.trusted_proxies == "127.0.0.1"
    assert settings.media_udp_ports == "40000-41999"
