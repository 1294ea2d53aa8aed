"""server.app: the wiring. Every package's services are on the app under the keys its ``api.py`` declares,
and a package set up before a package it depends on fails loudly instead of running half-wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import collab.api
import media.api
import rooms.api
import server.app
import venues.api
from server.app import PLUGINS, build_app
from tests.support.fresh import fresh_python
from tests.support.server import make_settings

API_MODULES = (rooms.api, collab.api, media.api, venues.api)


def declared_keys() -> list[tuple[str, web.AppKey[Any]]]:
    return [
        (f"{module.__name__}.{name}", value)
        for module in API_MODULES
        for name, value in vars(module).items()
        if isinstance(value, web.AppKey)
    ]


def test_every_key_a_package_declares_is_set_by_its_setup(tmp_path: Path) -> None:
    app = build_app(make_settings(tmp_path / "var"))
    keys = declared_keys()
    assert len(keys) >= 12
    missing = [name for name, key in keys if key not in app]
    assert not missing, f"declared in an api.py but never set: {missing}"


def test_keys_are_declared_only_in_api_modules() -> None:
    """One place per package: a module other than api.py that defines an AppKey is a second place."""
    root = Path(server.app.__file__).resolve().parents[1]
    offenders = []
    for package in ("rooms", "collab", "media", "venues", "evaluation", "studios"):
        for path in (root / package).rglob("*.py"):
            if path.name != "api.py" and "web.AppKey(" in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(root)))
    assert not offenders, f"move these AppKeys into the package's api.py: {offenders}"


def test_a_plugin_set_up_before_what_it_needs_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.app, "PLUGINS", tuple(reversed(PLUGINS)))
    with pytest.raises(KeyError) as caught:
        build_app(make_settings(tmp_path / "var"))
    assert "moke_" in str(caught.value)  # the missing dependency's key is named


# Word exports import python-docx when one is made; matplotlib and numpy are no longer dependencies at all, and
# WeasyPrint runs only in the PDF child process (evaluation/report_pdf.py). openpyxl is imported by a records
# export; aiortc and PyAV (with aioice, pylibsrtp, pyOpenSSL: about 26 MB resident) by the first peer connection,
# recording, voice note or program slate; Pillow by the first chart or slate; PyJWT (with cryptography's
# asymmetric algorithms, 8.7 MB) not at all: tokens are server.auth.hs256 (issue #18: idle RSS).
NOT_AT_START_UP = (
    "matplotlib", "numpy", "docx", "weasyprint", "openpyxl", "aiortc", "av", "aioice", "pylibsrtp", "OpenSSL", "PIL",
    "jwt",
)  # fmt: skip


def test_start_up_imports_nothing_only_a_report_export_or_peer_connection_needs(tmp_path: Path) -> None:
    """A fresh interpreter that imports the CLI entry and server.app and builds the app has not loaded the
    report, export or media libraries."""
    script = (
        "import json, sys\n"
        "import server.cli\n"
        "server.cli.build_parser()\n"
        "from server.app import build_app\n"
        "from server.config import load_settings\n"
        f"before = sorted(m for m in {NOT_AT_START_UP!r} if m in sys.modules)\n"
        f"build_app(load_settings(environ={{}}, cli={{'data_dir': {str(tmp_path / 'var')!r}, 'port': '0'}}))\n"
        f"after = sorted(m for m in {NOT_AT_START_UP!r} if m in sys.modules)\n"
        "print(json.dumps({'import': before, 'build_app': after}))\n"
    )
    assert fresh_python(script) == {"import": [], "build_app": []}
