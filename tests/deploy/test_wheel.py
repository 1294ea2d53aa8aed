"""The wheel serves the web client wherever it is installed (setup.py, server.config.default_web_dir).

Built the way a release is: an sdist from this tree (through setuptools' PEP 517 hooks), then a
wheel from that sdist with pip (build isolation fetches setuptools and wheel from PyPI), so the
sdist's MANIFEST and the build hook are both exercised. The wheel goes into a fresh venv of its
own; its dependencies come from the shared venv through a ``.pth`` line, which puts them *after*
the fresh venv's own site-packages (so the installed ``server`` package wins over the source tree,
and nothing is downloaded again). ``moke serve`` then runs from an unrelated working directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.services import ROOT, unavailable

WEB_DIST = ROOT / "web" / "dist"


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MOKE_", "PYTHON", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if not (WEB_DIST / "index.html").is_file():
        unavailable("the built web client web/dist (run `make web`)")
    base = tmp_path_factory.mktemp("wheel")
    hook = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    _run([sys.executable, "-c", hook, str(base / "sdist")], cwd=ROOT, env=_clean_env())
    (sdist,) = (base / "sdist").glob("moke-*.tar.gz")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "-q", "--no-deps", "-w", str(base / "dist"), str(sdist)], cwd=base, env=_clean_env())
    (wheel,) = (base / "dist").glob("moke-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    purelib = Path(
        _run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
             cwd=base, env=_clean_env()).strip()
    )  # fmt: skip
    shared = Path(sysconfig.get_path("purelib"))
    (purelib / "zz_shared_dependencies.pth").write_text(f"{shared}\n")
    _run([*pip, "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", str(wheel)],
         cwd=base, env=_clean_env())  # fmt: skip
    return Installed(sdist, wheel, venv)


@pytest.fixture
def served(installed: Installed, tmp_path: Path) -> Iterator[str]:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**_clean_env(), "MOKE_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [str(installed.venv / "bin" / "moke"), "serve", "--port", "0"],
            cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        match = re.search(r"listening on (https?://[\d.]+:\d+)", line)
        assert match, f"moke serve did not start: {line!r}\n{(tmp_path / 'server.log').read_text()[-3000:]}"
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(30)


def test_sdist_and_wheel_carry_the_built_client(installed: Installed) -> None:
    expected = sorted(p.relative_to(WEB_DIST).as_posix() for p in WEB_DIST.rglob("*") if p.is_file())
    with tarfile.open(installed.sdist) as tar:
        files = [m.name for m in tar.getmembers() if m.isfile()]
        in_sdist = sorted(n.split("/web/dist/", 1)[1] for n in files if "/web/dist/" in n)
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = sorted(n.removeprefix("server/web_dist/") for n in whl.namelist() if "web_dist/" in n)
    assert in_sdist == expected
    assert in_wheel == expected


def test_installed_package_finds_its_client_not_the_source_tree(installed: Installed, tmp_path: Path) -> None:
    probe = "import server, server.config as c; print(server.__file__); print(c.Settings().web_dir)"
    out = _run([str(installed.python), "-c", probe], cwd=tmp_path, env=_clean_env()).split()
    assert Path(out[0]).is_relative_to(installed.venv)
    assert Path(out[1]).is_relative_to(installed.venv)
    assert (Path(out[1]) / "index.html").read_bytes() == (WEB_DIST / "index.html").read_bytes()


def test_installed_server_serves_index_and_hashed_asset_from_any_directory(served: str) -> None:
    with urllib.request.urlopen(served + "/", timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        html = resp.read().decode()
    assert html == (WEB_DIST / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+-[\w-]{8}\.(?:js|css))"', html)
    assert assets, html
    with urllib.request.urlopen(served + assets[0], timeout=30) as resp:
        assert resp.status == 200
        assert "immutable" in resp.headers["Cache-Control"]
        body = resp.read()
    assert body == (WEB_DIST / assets[0].lstrip("/")).read_bytes()
    with urllib.request.urlopen(served + "/healthz", timeout=30) as resp:
        assert resp.status == 200
