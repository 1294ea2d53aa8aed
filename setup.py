"""Packaging hook: a wheel carries the built web client as ``server/web_dist``.

Everything else about the package is declared in pyproject.toml. The web client is built by npm
(``make web`` or ``cd web && npm run build``), not here: a wheel or sdist build needs ``web/dist``
to exist and stops with a clear message when it does not. An editable install (``make run``,
``pip install -e .``) copies nothing; the server then finds ``web/dist`` beside the packages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
WEB_DIST = ROOT / "web" / "dist"
PACKAGED = Path("server") / "web_dist"  # must match server.config.PACKAGED_WEB_DIR


def _require_web_dist() -> None:
    if not (WEB_DIST / "index.html").is_file():
        raise SystemExit(
            f"moke: {WEB_DIST} has no index.html; build the web client first "
            "(`make web`, or `cd web && npm install && npm run build`)"
        )


class BuildPyWithWebClient(build_py):
    """Copy ``web/dist`` into the build tree so the wheel serves the client wherever it is installed."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        _require_web_dist()
        target = Path(self.build_lib) / PACKAGED
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(WEB_DIST, target)


class SdistWithWebClient(sdist):
    """An sdist carries ``web/dist`` (MANIFEST.in), so a wheel built from it needs no Node."""

    def run(self) -> None:
        _require_web_dist()
        super().run()


setup(cmdclass={"build_py": BuildPyWithWebClient, "sdist": SdistWithWebClient})
